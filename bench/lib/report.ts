// Turns the raw runs into results: per metric and library the median and min–max over the
// repeats, and sluice's ratio against each other library — raw (sluice / other) and as an
// advantage normalised so that > 1 always means sluice did better. Renders the stdout table
// and the markdown table (bench/results/latest.md) from the same rows; a library a metric
// does not apply to (MetricDef.libs) shows "n/a", one whose turns all failed "error", one
// skipped (a broker not running) "skipped". A broker gets rows only in the scenario families
// where some metric applies to it (the low-load ones), not n/a rows everywhere.
import { isBroker, type LibName } from '../adapters/types.js';
import { appliesTo, type MetricDef } from '../scenarios/types.js';
import { summarize, type Summary } from './stats.js';

export interface RunRecord {
  scenario: string;
  lib: LibName;
  repeat: number;
  seconds: number;
  metrics: Record<string, number>;
  extra?: Record<string, unknown>;
  error?: string;
  /** Why the turn did not run (a broker not reachable); not a failure. */
  skipped?: string;
}

export interface Ratio {
  /** sluice median / other median. */
  sluiceOverOther: number;
  /** > 1: sluice is better (the raw ratio, inverted for lower-is-better metrics). */
  advantage: number;
}

export interface MetricResult extends MetricDef {
  runs: Partial<Record<LibName, number[]>>;
  summary: Partial<Record<LibName, Summary>>;
  ratio: Partial<Record<LibName, Ratio>>;
  /** Libraries whose turns were skipped (their cells show "skipped", not "error"). */
  skipped: LibName[];
}

export function aggregate(defs: MetricDef[], runs: RunRecord[], libs: LibName[]): MetricResult[] {
  return defs.map((def) => {
    const result: MetricResult = { ...def, runs: {}, summary: {}, ratio: {}, skipped: [] };
    result.skipped = libs.filter((lib) => appliesTo(def, lib) && runs.some((r) => r.lib === lib && r.skipped));
    for (const lib of libs) {
      const values = runs.filter((r) => r.lib === lib && !r.error && def.key in r.metrics).map((r) => r.metrics[def.key]!);
      result.runs[lib] = values;
      const s = summarize(values);
      if (s) result.summary[lib] = s;
    }
    const mine = result.summary.sluice?.median;
    for (const lib of libs) {
      const other = result.summary[lib]?.median;
      if (lib === 'sluice' || mine === undefined || other === undefined || mine <= 0 || other <= 0) continue;
      const raw = mine / other;
      result.ratio[lib] = { sluiceOverOther: raw, advantage: def.better === 'higher' ? raw : 1 / raw };
    }
    return result;
  });
}

export function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const HEADER = ['scenario', 'metric', 'unit', 'library', 'median', 'min–max', 'sluice/other', 'sluice advantage'];

function cell(m: MetricResult, lib: LibName): string {
  const s = m.summary[lib];
  if (s) return fmt(s.median, m.digits);
  if (!appliesTo(m, lib)) return 'n/a';
  return m.skipped.includes(lib) ? 'skipped' : 'error';
}

function rows(results: MetricResult[], libs: LibName[]): string[][] {
  const out: string[][] = [];
  // a broker's rows: only in the families where some metric applies to it
  const shownIn = (lib: LibName, family: string) => !isBroker(lib) || results.some((x) => x.family === family && appliesTo(x, lib));
  for (const m of results) {
    libs
      .filter((lib) => shownIn(lib, m.family))
      .forEach((lib, i) => {
        const s = m.summary[lib];
        const r = m.ratio[lib];
        out.push([
          i === 0 ? m.family : '',
          i === 0 ? m.label : '',
          i === 0 ? m.unit : '',
          lib,
          cell(m, lib),
          s ? (s.n > 1 ? `${fmt(s.min, m.digits)}–${fmt(s.max, m.digits)}` : '(1 run)') : '',
          r ? fmt(r.sluiceOverOther, 2) : '',
          r ? `×${fmt(r.advantage, 2)} ${r.advantage >= 1 ? 'better' : 'worse'}` : '',
        ]);
      });
  }
  return out;
}

const NUMERIC = new Set([4, 5, 6]);

export function textTable(results: MetricResult[], libs: LibName[]): string {
  const all = [HEADER, ...rows(results, libs)];
  const widths = HEADER.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (NUMERIC.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const out = [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  ')];
  let previous = '';
  for (const r of all.slice(1)) {
    if (r[0] && r[0] !== previous && previous) out.push('');
    if (r[0]) previous = r[0];
    out.push(line(r));
  }
  return out.join('\n');
}

export function markdownTable(results: MetricResult[], libs: LibName[]): string {
  const escapeCell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`| ${HEADER.join(' | ')} |`, `|${HEADER.map((_, c) => (NUMERIC.has(c) ? '---:' : '---')).join('|')}|`];
  for (const r of rows(results, libs)) out.push(`| ${r.map(escapeCell).join(' | ')} |`);
  return out.join('\n');
}
