// The benchmark runner: `npm run bench [-- options]`. Runs each scenario for sluice, BullMQ and
// Bee-Queue in turns (A B C A B C …), every turn against a fresh redis-server that it starts
// and kills itself (RabbitMQ and NATS, reference points in the low-load scenarios only, run
// against the servers already there, or are skipped with a note when none answers), then
// prints the table and writes bench/results/latest.{json,md} and ratios.svg (with --quick:
// quick.{json,md,svg}; with --out NAME: NAME.{json,md,svg}).
// Exits 1 only when a turn failed (never because of a ratio).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BrokerControl, isBroker, LIBRARIES, loadAdapter, type LibName } from './adapters/types.js';
import { withTimeout } from './lib/cleanup.js';
import { embedInReadme, readmeBlock } from './lib/readme.js';
import { machineInfo, sluiceRevision } from './lib/machine.js';
import { ChildHandle } from './lib/protocol.js';
import { startRedisServer } from './lib/redis-server.js';
import { aggregate, fmt, markdownTable, textTable, type RunRecord } from './lib/report.js';
import { ratioChart } from './lib/svg.js';
import { boundedScenario } from './scenarios/bounded.js';
import { delayedScenario } from './scenarios/delayed.js';
import { flowControlScenarios } from './scenarios/flow-control.js';
import { enqueueScenarios } from './scenarios/enqueue.js';
import { latencyScenario } from './scenarios/latency.js';
import { lowLoadScenarios } from './scenarios/low-load.js';
import { memoryScenario } from './scenarios/memory.js';
import { metricsScenario } from './scenarios/metrics.js';
import { partitionsScenario } from './scenarios/partitions.js';
import { partitionsMarkdown, partitionsSummary } from './scenarios/partitions-report.js';
import { priorityScenario } from './scenarios/priority.js';
import { processingScenarios } from './scenarios/processing.js';
import { produceConsumeScenario } from './scenarios/produce-consume.js';
import { sandboxScenario } from './scenarios/sandbox.js';
import { appliesTo, type BenchConfig, type Scenario } from './scenarios/types.js';

const USAGE = `usage: npm run bench -- [options]
  --quick           reduced set (5k jobs, 1 repeat, concurrency 1 and 100, 300 delayed jobs, 10k partitioned jobs,
                    1k jobs in flight one at a time, 5 s at 200 jobs/s), about a minute on an idle machine
                    (partitions adds ~20 s, low-load ~1 min)
  --repeats N       turns per library and scenario (default 3; quick 1)
  --jobs N          jobs per enqueue / processing / produce-consume turn (default 50000)
  --libs a,b        libraries to run (default ${LIBRARIES.join(',')}; rabbitmq and nats run in the
                    low-load scenarios only, and are skipped with a note when their server is not running)
  --only x,y        scenarios whose id starts with x or y, or of family x (enqueue, processing, produce-consume,
                    latency, delayed, priority, memory, limiter, ordered, bounded, partitions, metrics, sandbox,
                    low-load = one-in-flight, steady-200, idle; e.g. processing-c10; partitions is sluice only
                    and starts a 3-master Redis Cluster)
  --out NAME        results file name under bench/results (default latest; quick: quick)`;

function config(): { config: BenchConfig; only: string[]; out: string } {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      repeats: { type: 'string' },
      jobs: { type: 'string' },
      libs: { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${v}"\n${USAGE}`);
    return n;
  };
  const quick = values.quick;
  const libs = (values.libs?.split(',') ?? [...LIBRARIES]) as LibName[];
  for (const lib of libs) if (!LIBRARIES.includes(lib)) throw new Error(`unknown library "${lib}"; use ${LIBRARIES.join(', ')}`);
  const jobs = int('jobs', values.jobs, quick ? 5_000 : 50_000);
  return {
    config: {
      quick,
      repeats: int('repeats', values.repeats, quick ? 1 : 3),
      libs,
      jobs,
      batch: 1_000,
      concurrencies: quick ? [1, 100] : [1, 10, 100],
      produceConsume: { concurrency: 100, window: 100 },
      latency: { jobs: quick ? 300 : 2_000, intervalMs: 5, concurrency: 10 },
      delayed: { jobs: quick ? 300 : 1_000, minMs: 200, maxMs: 1_000, concurrency: 10, window: 100 },
      priority: { jobs: quick ? 5_000 : 20_000, concurrency: 10, levels: 10 },
      memoryJobs: quick ? 10_000 : 100_000,
      flowControl: {
        limiter: quick ? { jobs: 5_000, rate: 1_000 } : { jobs: 10_000, rate: 500 },
        ordered: { jobs: quick ? 5_000 : 50_000, keys: 1_000, concurrency: 100 },
      },
      partitions: { jobs: values.jobs ? jobs : quick ? 10_000 : 50_000, concurrency: 100, masters: 3, batch: 500 },
      lowLoad: {
        oneInFlight: { jobs: quick ? 1_000 : 5_000 },
        steady: { rate: 200, seconds: quick ? 5 : 10, concurrency: 10 },
        // blockMs 1000 (sluice's default is 5000) keeps the run short; the others idle as long.
        // The full run idles 20 s, so that what an idle worker does every few seconds counts
        // too (sluice: a heartbeat every 10 s, the partitions watch every 6 block timeouts)
        idle: { blockMs: 1_000, timeouts: quick ? 3 : 20, concurrency: 10 },
      },
    },
    only: values.only?.split(',').filter(Boolean) ?? [],
    out: values.out ?? (quick ? 'quick' : 'latest'),
  };
}

function scenarios(c: BenchConfig, only: string[]): Scenario[] {
  const all = [
    ...enqueueScenarios(),
    ...processingScenarios(c.concurrencies),
    produceConsumeScenario(c.produceConsume.concurrency, c.produceConsume.window),
    latencyScenario(c.latency.jobs, c.latency.intervalMs, c.latency.concurrency),
    delayedScenario(c.delayed),
    priorityScenario(c.priority),
    memoryScenario(c.memoryJobs),
    ...flowControlScenarios(c.flowControl),
    boundedScenario(c.quick ? { keys: 20_000, waiting: 20_000, dedup: 10_000 } : { keys: 200_000, waiting: 200_000, dedup: 100_000 }),
    partitionsScenario(c.partitions),
    metricsScenario(c.quick ? { jobs: 10_000, processed: 4_000, reads: 20 } : { jobs: 1_000_000, processed: 400_000, reads: 100 }),
    sandboxScenario(
      c.quick
        ? { noopJobs: 1_000, noopConcurrency: 8, cpuJobs: 40, cpuMs: 20 }
        : { noopJobs: 10_000, noopConcurrency: 8, cpuJobs: 400, cpuMs: 20 },
    ),
    ...lowLoadScenarios(c.lowLoad),
  ];
  const chosen = only.length ? all.filter((s) => only.some((o) => s.id.startsWith(o) || s.family === o)) : all;
  if (chosen.length === 0) throw new Error(`--only ${only.join(',')} matches no scenario; ids: ${all.map((s) => s.id).join(', ')}`);
  return chosen;
}

/** Lines for the markdown header about the scenarios that need them. */
function notes(list: Scenario[]): string[] {
  const out: string[] = [];
  if (list.some((s) => s.id === 'delayed')) {
    out.push(
      'Delayed: lateness = processor start − (add time + delay); ' +
        'Bee-Queue (delayUntil, activateDelayedJobs) runs with its default delayedDebounce of 1000 ms.',
    );
  }
  if (list.some((s) => s.id === 'priority')) out.push('Priority: Bee-Queue has no job priorities (n/a).');
  if (list.some((s) => s.id === 'limiter'))
    out.push("Limiter: Bee-Queue has no rate limiter (n/a). Start times are each library's recorded start (processedOn).");
  if (list.some((s) => s.id === 'ordered'))
    out.push('Ordered keys: only sluice has them among the three (BullMQ groups are a paid Pro feature).');
  if (list.some((s) => s.family === 'low-load'))
    out.push(
      'Low load: one-in-flight adds a job only when the previous one completed (sluice prefetch: 0); ' +
        'RabbitMQ (durable queue, persistent, publisher confirms, manual ack) and NATS JetStream (file stream, ' +
        'publish ack, explicit ack) are reference points: no Redis figures (n/a), no idle figure.',
    );
  if (list.some((s) => s.id === 'partitions'))
    out.push(
      'Partitions: sluice only (BullMQ and Bee-Queue cannot split one queue over shards); ' +
        'per-master figures and the projection in the section after the table.',
    );
  return out;
}

/** Whether a broker answers; the note for the output when it does not (asked once per run). */
async function brokerSkip(lib: LibName, broker: BrokerControl, seen: Map<LibName, { skip?: string; server?: string }>) {
  if (!seen.has(lib)) {
    try {
      seen.set(lib, { server: await broker.probe() });
    } catch (err) {
      seen.set(lib, { skip: `${lib}: not running at ${broker.url}, skipped (${(err as Error).message.split('\n')[0]})` });
    }
  }
  return seen.get(lib)!.skip;
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function main(): Promise<number> {
  const { config: cfg, only, out } = config();
  const list = scenarios(cfg, only);
  const turnBudget = cfg.quick ? 120_000 : 900_000;
  const runs: RunRecord[] = [];
  let redisVersion = 'unknown';
  const started = Date.now();
  const revision = sluiceRevision();
  const brokers = new Map<LibName, { skip?: string; server?: string }>();
  console.error(`bench: ${list.map((s) => s.id).join(', ')} × ${cfg.libs.join(', ')} × ${cfg.repeats} repeat(s)`);
  for (const scenario of list) {
    for (let repeat = 1; repeat <= cfg.repeats; repeat++) {
      for (const lib of cfg.libs) {
        // a library without the feature that every metric of the scenario measures: no turn
        const shownMetric = scenario.metrics.find((m) => appliesTo(m, lib));
        if (!shownMetric) {
          if (repeat === 1 && !isBroker(lib)) console.error(`  ${scenario.id.padEnd(16)} ${lib.padEnd(9)} n/a`);
          continue;
        }
        const t0 = Date.now();
        const record: RunRecord = { scenario: scenario.id, lib, repeat, seconds: 0, metrics: {} };
        let redis: Awaited<ReturnType<typeof startRedisServer>> | undefined;
        try {
          const adapter = await loadAdapter(lib);
          record.skipped = adapter.broker && (await brokerSkip(lib, adapter.broker, brokers));
          if (record.skipped) throw new Error(record.skipped);
          // a broker's turn does not use it, but every turn context has one
          redis = await startRedisServer();
          redisVersion = redis.version;
          const server = redis;
          let n = 0;
          const ctx = { lib, adapter, redis: server, config: cfg, queue: (s: string) => `bench-${s}-${++n}` };
          const result = await withTimeout(scenario.run(ctx), turnBudget, `${scenario.id} for ${lib}`);
          record.metrics = result.metrics;
          record.extra = result.extra;
        } catch (err) {
          if (!record.skipped) record.error = (err as Error).message;
        } finally {
          ChildHandle.killAll();
          await redis?.close();
        }
        record.seconds = (Date.now() - t0) / 1000;
        runs.push(record);
        const first = shownMetric;
        if (record.skipped && repeat > 1) continue;
        const shown = record.skipped
          ? record.skipped
          : record.error
            ? `ERROR ${record.error.split('\n')[0]}`
            : `${fmt(record.metrics[first.key], first.digits)} ${first.unit}`;
        console.error(`  ${scenario.id.padEnd(16)} ${lib.padEnd(9)} #${repeat}  ${shown}  (${record.seconds.toFixed(1)} s)`);
      }
    }
  }
  const results = aggregate(
    list.flatMap((s) => s.metrics),
    runs,
    cfg.libs,
  );
  // the brokers only where they had a turn (the low-load scenarios); the chart and README compare the Redis libraries
  const ran = cfg.libs.filter((l) => !isBroker(l) || runs.some((r) => r.lib === l));
  const compared = cfg.libs.filter((l) => !isBroker(l));
  const skipNotes = [...brokers.values()].flatMap((b) => (b.skip ? [b.skip] : []));
  const machine = await machineInfo(ran, redisVersion, revision);
  for (const [lib, b] of brokers) machine.libraries[lib] += b.server ? ` (server ${b.server})` : ' (not running: skipped)';
  const revisionAtEnd = sluiceRevision();
  if (revisionAtEnd !== revision)
    console.error(`bench: warning: the sluice checkout changed during the run (${revision} → ${revisionAtEnd})`);
  const date = new Date().toISOString();
  const errors = runs.filter((r) => r.error);

  const table = textTable(results, ran);
  console.log(table);
  for (const note of skipNotes) console.log(note);
  const libs = ran.map((l) => `${l} ${machine.libraries[l]}${l === 'sluice' ? ` (${machine.sluiceRevision})` : ''}`).join(', ');
  const about =
    `${machine.cpuCount} × ${machine.cpuModel}, ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, ` +
    `Node ${machine.node}, Redis ${machine.redis}; ${libs}`;
  console.log(
    `\n${about}\nmedian of ${cfg.repeats} run(s); ${((Date.now() - started) / 1000).toFixed(0)} s in all; ${errors.length} failed turn(s)`,
  );

  const partitions = partitionsSummary(runs);
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeAtomic(
    `${dir}${out}.json`,
    `${JSON.stringify(
      {
        date,
        machine,
        config: cfg,
        durationSeconds: (Date.now() - started) / 1000,
        metrics: results,
        // the partitions scenario's per-master medians and projection (also in the markdown's section)
        partitions,
        skipped: skipNotes,
        runs,
      },
      null,
      2,
    )}\n`,
  );
  // the partitions scenario's per-master breakdown and projection: its own section, after the table
  let partitionsSection = '';
  if (partitions) {
    const loads = runs.flatMap((r) => (r.scenario === 'partitions' ? ((r.extra?.loadAverage1m as number[] | undefined) ?? []) : []));
    partitionsSection = partitionsMarkdown(partitions, about, loads);
    console.log(`\n${partitionsSection}`);
  }
  const md = [
    `Measured ${date.slice(0, 10)} on ${about}.`,
    `Median of ${cfg.repeats} run(s), each library against its own fresh Redis, in turns; min–max over the runs.`,
    `"sluice advantage" is the ratio normalised so that above ×1 sluice is better (faster, or cheaper).`,
    `Processing removes completed jobs at once in all three libraries; ${cfg.jobs.toLocaleString('en-US')} jobs per turn; ` +
      'commands per job count the commands run inside Lua scripts.',
    ...notes(list),
    ...skipNotes,
    '',
    markdownTable(results, ran),
    '',
    ...(partitionsSection ? [partitionsSection] : []),
  ].join('\n');
  writeAtomic(`${dir}${out}.md`, md);
  const written = [`${out}.json`, `${out}.md`];
  // the chart shows sluice against the others: none with --libs sluice
  if (compared.some((l) => l !== 'sluice')) {
    const svg = out === 'latest' ? 'ratios.svg' : `${out}.svg`;
    const others = compared.filter((l) => l !== 'sluice').join(' and ');
    const title = `sluice vs ${others} — ${date.slice(0, 10)}, ${machine.cpuCount} × ${machine.cpuModel}`;
    writeAtomic(`${dir}${svg}`, ratioChart(results, compared, title));
    written.push(svg);
  }
  console.log(`wrote ${written.map((f) => `bench/results/${f}`).join(', ')}`);
  // a complete default run is what the README shows
  if (out === 'latest' && only.length === 0 && errors.length === 0 && compared.length === 3) {
    const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
    const measured = `Measured ${date.slice(0, 10)} on ${about}; median of ${cfg.repeats} run(s).`;
    if (embedInReadme(readme, readmeBlock(results, compared, measured))) console.log('updated the Benchmarks section of README.md');
  }
  for (const e of errors) console.error(`failed: ${e.scenario} ${e.lib} #${e.repeat}: ${e.error}`);
  return errors.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
