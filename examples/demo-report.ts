// Output helpers of the demo: the live progress line and the final summary table. Pure
// formatting: no Redis, no sluice.
import type { JobCounts } from '../src/index.js';

const fmt = new Intl.NumberFormat('en-US');
export const n = (value: number): string => fmt.format(Math.round(value));
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/**
 * One status line: rewritten in place (\r) on a terminal, at most once a second otherwise so
 * that a log file or CI output gets a readable line per second.
 */
export class ProgressLine {
  private readonly tty = process.stdout.isTTY === true;
  private lastPrinted = 0;
  private width = 0;

  /** How often the caller should refresh it. */
  readonly intervalMs = this.tty ? 200 : 1000;

  show(counts: JobCounts, settled: number, elapsedMs: number): void {
    const rate = elapsedMs > 0 ? (settled * 1000) / elapsedMs : 0;
    const text =
      `${seconds(elapsedMs).padStart(7)}  waiting ${n(counts.waiting).padStart(5)}  active ${n(counts.active).padStart(3)}  ` +
      `completed ${n(counts.completed).padStart(5)}  failed ${n(counts.failed)}  delayed ${n(counts.delayed)}  ` +
      `| ${n(rate).padStart(5)} jobs/s`;
    if (this.tty) {
      process.stdout.write(`\r${text.padEnd(this.width)}`);
      this.width = text.length;
    } else if (Date.now() - this.lastPrinted >= 950) {
      this.lastPrinted = Date.now();
      console.log(text);
    }
  }

  /** Ends the line (on a terminal) so that what follows starts on a fresh one. */
  end(): void {
    if (this.tty && this.width > 0) process.stdout.write('\n');
    this.width = 0;
  }
}

/** A two-column table; a row whose label is "-" draws a rule between sections. */
export function printTable(title: string, rows: [label: string, value: string][]): void {
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const valueWidth = Math.max(title.length - labelWidth - 3, ...rows.map(([, value]) => value.length));
  const rule = `+${'-'.repeat(labelWidth + 2)}+${'-'.repeat(valueWidth + 2)}+`;
  console.log(`\n${title}`);
  console.log(rule);
  for (const [label, value] of rows) {
    if (label === '-') {
      console.log(rule);
      continue;
    }
    console.log(`| ${label.padEnd(labelWidth)} | ${value.padEnd(valueWidth)} |`);
  }
  console.log(rule);
}
