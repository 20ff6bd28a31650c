// The partitions scenario's per-master report, a section of bench/results/<out>.md after the
// table: the medians over the turns of every case's per-master figures, the projection, each
// master's figures per job of its own partitions, and the busiest master's commands.
import { fmt, type RunRecord } from '../lib/report.js';
import { summarize } from '../lib/stats.js';
import type { CaseResult, Projection } from './partitions.js';

interface TurnExtra {
  loadAverage1m: number[];
  cases: CaseResult[];
  projections: Projection[];
}

const median = (values: number[]) => summarize(values)?.median ?? Number.NaN;
const medianOrNull = (values: (number | null)[]) => summarize(values.filter((v): v is number => v !== null))?.median ?? null;

/** Medians over the turns of the per-master, per-case figures and the projections; undefined when no turn succeeded. */
export function partitionsSummary(runs: RunRecord[]): { cases: CaseResult[]; projections: Projection[]; turns: number } | undefined {
  const turns = runs.filter((r) => r.scenario === 'partitions' && !r.error && r.extra).map((r) => r.extra as unknown as TurnExtra);
  if (turns.length === 0) return undefined;
  const first = turns[0]!;
  const cases = first.cases.map((shape, ci) => {
    const all = turns.map((t) => t.cases[ci]!);
    const pick = (f: (r: CaseResult) => number) => median(all.map(f));
    const masters = shape.masters.map((mm, mi) => ({
      ...mm,
      cpuUsPerJob: pick((r) => r.masters[mi]!.cpuUsPerJob),
      callsPerJob: pick((r) => r.masters[mi]!.callsPerJob),
      scriptCallsPerJob: pick((r) => r.masters[mi]!.scriptCallsPerJob),
      callsPerOwnJob: medianOrNull(all.map((r) => r.masters[mi]!.callsPerOwnJob)),
      cpuUsPerOwnJob: medianOrNull(all.map((r) => r.masters[mi]!.cpuUsPerOwnJob)),
    }));
    return {
      ...shape,
      elapsedMs: pick((r) => r.elapsedMs),
      rate: pick((r) => r.rate),
      steadyRate: pick((r) => r.steadyRate),
      workerCpuUsPerJob: pick((r) => r.workerCpuUsPerJob),
      redisCpuUsPerJob: pick((r) => r.redisCpuUsPerJob),
      maxMasterCpuUsPerJob: pick((r) => r.maxMasterCpuUsPerJob),
      masters,
    };
  });
  const projections = first.projections.map((shape, pi) => {
    const all = turns.map((t) => t.projections[pi]!);
    const pick = (f: (p: Projection) => number) => median(all.map(f));
    return {
      ...shape,
      busiestCpuUsPerJob: pick((p) => p.busiestCpuUsPerJob),
      ceiling: pick((p) => p.ceiling),
      workerCores: pick((p) => p.workerCores),
      redisCores: pick((p) => p.redisCores),
      scriptCallsPerSecond: pick((p) => p.scriptCallsPerSecond),
    };
  });
  return { cases, projections, turns: turns.length };
}

/** The per-master section of bench/results/<out>.md (also printed by the runner). */
export function partitionsMarkdown(summary: NonNullable<ReturnType<typeof partitionsSummary>>, about: string, loads: number[]): string {
  const { cases, projections } = summary;
  const a = cases.find((r) => r.id === 'a')!;
  const masters = Math.max(...cases.map((r) => r.masters.length));
  const head = [
    'case',
    'jobs/s',
    'worker CPU µs/job',
    'Redis CPU µs/job (all)',
    ...Array.from({ length: masters }, (_, i) => `master ${i + 1} µs/job (partitions)`),
    'busiest µs/job',
    'busiest / (a)',
    'target',
  ];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|---|${head
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
  ];
  for (const r of cases) {
    const used = r.masters.filter((mm) => mm.partitions > 0).length;
    const cells = Array.from({ length: masters }, (_, i) => {
      const mm = r.masters[i];
      return mm ? `${fmt(mm.cpuUsPerJob, 1)} (${mm.partitions})` : '';
    });
    const ratio = r.id === 'd' ? '' : fmt(r.maxMasterCpuUsPerJob / a.maxMasterCpuUsPerJob, 2);
    const target = r.id === 'd' || r.id === 'a' ? '' : `1/${used} = ${fmt(1 / used, 2)}`;
    const row = [`(${r.id}) ${r.label}`, fmt(r.rate, 0), fmt(r.workerCpuUsPerJob, 1), fmt(r.redisCpuUsPerJob, 1)];
    lines.push(`| ${[...row, ...cells, fmt(r.maxMasterCpuUsPerJob, 1), ratio, target].join(' | ')} |`);
  }
  const projHead = [
    'cluster',
    'from',
    'busiest master µs/job',
    'ceiling jobs/s (a core per master)',
    'worker cores needed',
    'Redis cores (all masters)',
    'script calls/s on the busiest master',
  ];
  const proj = [
    `| ${projHead.join(' | ')} |`,
    '|---|---|---:|---:|---:|---:|---:|',
    ...projections.map((p) => {
      const name = `${p.masters} master${p.masters > 1 ? 's' : ''}, ${p.masters === 1 ? 'plain queue' : `partitions: ${p.masters}`}`;
      const cells = [name, `(${p.from})`, fmt(p.busiestCpuUsPerJob, 1), fmt(p.ceiling, 0), fmt(p.workerCores, 1), fmt(p.redisCores, 1)];
      return `| ${[...cells, fmt(p.scriptCallsPerSecond, 0)].join(' | ')} |`;
    }),
  ];
  // per shard, over the jobs its own partitions processed (not the total): what one job costs the master that holds it
  const own = [
    `| case | ${Array.from({ length: masters }, (_, i) => `master ${i + 1}: jobs · cmd/job · CPU µs/job`).join(' | ')} |`,
    `|---|${Array.from({ length: masters }, () => '---:').join('|')}|`,
    ...cases.map((r) => {
      const cells = Array.from({ length: masters }, (_, i) => {
        const mm = r.masters[i];
        if (!mm) return '';
        if (mm.callsPerOwnJob === null || mm.cpuUsPerOwnJob === null) return `0 (idle: ${fmt(mm.callsPerJob * r.jobs, 0)} cmds)`;
        return `${fmt(mm.ownJobs, 0)} · ${fmt(mm.callsPerOwnJob, 2)} · ${fmt(mm.cpuUsPerOwnJob, 1)}`;
      });
      return `| (${r.id}) ${r.label} | ${cells.join(' | ')} |`;
    }),
  ];
  const commands = cases.map((r) => {
    const top = r.masters[r.busiest] ?? r.masters[0]!;
    const list = Object.entries(top.commandsPerJob)
      .slice(0, 8)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `- (${r.id}) busiest master: ${fmt(top.callsPerJob, 2)} commands/job (${fmt(top.scriptCallsPerJob, 2)} script calls); ${list}`;
  });
  return [
    '## Partitions: Redis CPU per job on each master',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${about}; median of ${summary.turns} turn(s).`,
    `1-minute load average during the turns: ${loads.map((l) => l.toFixed(1)).join(', ')} — the machine's cores are shared ` +
      'with other work, so jobs/s are a floor; CPU per job is the steadier figure.',
    `Scenario \`partitions\` (bench/scenarios/partitions.ts); sluice only: ` + 'BullMQ and Bee-Queue cannot split one queue over shards.',
    `${fmt(cases[0]!.jobs, 0)} jobs per case (~75-byte payload, removed on completion), pre-filled, drained by one worker ` +
      'process at concurrency 100. Per master: `INFO cpu` (sys + user) and `INFO commandstats` deltas around the drain.',
    '',
    ...lines,
    '',
    'Projection: a cluster whose masters each have a core of their own is full when its busiest master is, at',
    '1 / (busiest master CPU seconds per job) jobs/s; from (b) for one partition per master, from (c) per partition',
    '(its master CPU / the partitions it serves) for twice the masters. The worker CPU and round trips it then needs:',
    '',
    ...proj,
    '',
    "Per shard, per job of its own: each master's commands (incl. those inside Lua) and Redis CPU divided by the jobs",
    'its partitions were given and processed (counted by the producer), not by the total; a master without partitions',
    'shows its idle commands over the drain instead.',
    '',
    ...own,
    '',
    ...commands,
    '',
  ].join('\n');
}
