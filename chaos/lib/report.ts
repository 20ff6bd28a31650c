// The figures of a chaos run: a table on stdout, and chaos/results/<name>.json and .md (per
// scenario: jobs, faults injected, lost, duplicates explained / unexplained, stale
// completions, recovery time, and the scenario's own notes).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioOutcome } from '../scenarios/types.js';

export interface RunInfo {
  mode: 'quick' | 'full';
  startedAt: string;
  durationMs: number;
  revision: string;
  machine: string;
}

function faults(o: ScenarioOutcome): string {
  const f = Object.entries(o.check.faults).map(([k, n]) => `${n} ${k}`);
  return f.length > 0 ? f.join(', ') : '0';
}

function recovery(o: ScenarioOutcome): string {
  const parts: string[] = [];
  const r = o.check.redeliveryMs;
  if (r) parts.push(`rerun after fault p50 ${r.p50} ms, max ${r.max} ms`);
  if (o.drainAfterLastFaultMs !== undefined) parts.push(`drained ${(o.drainAfterLastFaultMs / 1000).toFixed(1)} s after the last fault`);
  return parts.join('; ') || '—';
}

/** One row per scenario: the columns of the table, as strings. */
function rows(outcomes: ScenarioOutcome[]): string[][] {
  return outcomes.map((o) => [
    o.id,
    `${o.check.acked}${o.check.rejected ? ` (+${o.check.rejected} rejected)` : ''}`,
    faults(o),
    String(o.check.lost),
    `${o.check.duplicatesExplained} / ${o.check.duplicatesUnexplained}`,
    `${o.check.staleAcks + o.check.staleResults}`,
    String(o.check.lostEvents),
    recovery(o),
    `${(o.elapsedMs / 1000).toFixed(1)} s`,
    o.failures.length === 0 ? 'pass' : 'FAIL',
  ]);
}

const HEAD = ['scenario', 'jobs acked', 'faults', 'lost', 'dup expl / unexpl', 'stale', 'lost events', 'recovery', 'time', 'result'];

export function textTable(outcomes: ScenarioOutcome[]): string {
  const all = [HEAD, ...rows(outcomes)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(outcomes).map(line)];
  for (const o of outcomes) {
    for (const f of o.failures) out.push(`${o.id}: FAIL: ${f}`);
    for (const e of o.check.examples.slice(0, 5)) out.push(`${o.id}: ${e}`);
    for (const e of o.evidence ?? []) out.push(`${o.id}: log: ${e}`);
  }
  return out.join('\n');
}

export function markdown(info: RunInfo, outcomes: ScenarioOutcome[]): string {
  const md = [
    `# Chaos run (${info.mode})`,
    '',
    `${info.startedAt}, revision ${info.revision}, ${info.machine}; the whole run took ${(info.durationMs / 1000).toFixed(0)} s.`,
    'How to read it: [chaos/README.md](../README.md).',
    '',
    `| ${HEAD.join(' | ')} |`,
    `| ${HEAD.map(() => '---').join(' | ')} |`,
    ...rows(outcomes).map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  for (const o of outcomes) {
    md.push(`## ${o.id}: ${o.title}`, '', o.params, '');
    const c = o.check;
    md.push(
      `- completed ${c.completed}, dead-lettered ${c.deadLettered}, lost ${c.lost} (${c.lostAfterRunning} of them had run); ` +
        `${c.starts} starts, ${c.retries} retries`,
      `- duplicate starts explained by: ${
        Object.entries(c.explainedBy ?? {})
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`,
      `- stale acks accepted ${c.staleAcks} (and ${c.staleAcksAfterRollback} after a Redis rollback undid the newer lease), ` +
        `stale results stored ${c.staleResults}, starts after completion ${c.startsAfterCompletion}`,
      `- lost events ${c.lostEvents} (the result stored anyway: ${c.lostEventsWithStoredResult})`,
      `- worker error events ${c.workerErrors}; worker processes that died on their own ${c.workersDied}`,
      `- jobs run with no acknowledged add ${c.unackedJobsRun}; adds that became two jobs ${c.duplicateAdds}`,
    );
    for (const n of o.notes) md.push(`- ${n}`);
    for (const f of o.failures) md.push(`- **FAIL**: ${f}`);
    for (const e of c.examples) md.push(`- example: ${e}`);
    for (const e of o.evidence ?? []) md.push(`- log: \`${e}\``);
    md.push('');
  }
  return md.join('\n');
}

export function writeResults(dir: string, name: string, info: RunInfo, outcomes: ScenarioOutcome[]): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ ...info, scenarios: outcomes }, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), markdown(info, outcomes));
}
