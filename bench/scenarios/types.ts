// What a scenario is to the runner: an id, the metrics it reports (with unit and direction),
// and one turn — a measurement of one library against a fresh Redis. Also the bench config
// and the helpers every scenario family shares (bulk prefill, Redis deltas, wait budgets).
import type { Adapter, AddOptions, LibName, Retention } from '../adapters/types.js';
import { isBroker, payload } from '../adapters/types.js';
import type { RedisDelta, RedisServer } from '../lib/redis-server.js';
import { diffSnapshots } from '../lib/redis-server.js';

export interface BenchConfig {
  quick: boolean;
  repeats: number;
  libs: LibName[];
  /** Jobs per enqueue, processing and produce-consume turn. */
  jobs: number;
  /** Jobs per library call (bulk add) and per parallel batch of single adds. */
  batch: number;
  concurrencies: number[];
  produceConsume: { concurrency: number; window: number };
  latency: { jobs: number; intervalMs: number; concurrency: number };
  /** Delayed jobs added at once, each due after a pseudo-random delay in [minMs, maxMs]. */
  delayed: { jobs: number; minMs: number; maxMs: number; concurrency: number; window: number };
  /** Pre-filled jobs drained plain and with pseudo-random priorities 1..levels. */
  priority: { jobs: number; concurrency: number; levels: number };
  memoryJobs: number;
  flowControl: import('./flow-control.js').FlowControlConfig;
  /** The partitions scenario (sluice only): one workload on a standalone Redis and a cluster. */
  partitions: import('./partitions.js').PartitionsConfig;
  /** The low-load scenarios (one job in flight, steady 200 jobs/s, idle worker). */
  lowLoad: import('./low-load.js').LowLoadConfig;
}

export interface MetricDef {
  key: string;
  /** Scenario family, shown in the table's first column. */
  family: string;
  label: string;
  /** Shorter label for the chart. */
  chart: string;
  unit: string;
  better: 'higher' | 'lower';
  /** Decimals in the table. */
  digits: number;
  /** The libraries the metric applies to (default: the Redis libraries, not the brokers); the others show "n/a". */
  libs?: readonly LibName[];
}

/** Whether `def` applies to `lib` (a library without the feature it measures shows "n/a"). */
export const appliesTo = (def: MetricDef, lib: LibName): boolean => (def.libs ? def.libs.includes(lib) : !isBroker(lib));

export interface TurnContext {
  lib: LibName;
  adapter: Adapter;
  redis: RedisServer;
  config: BenchConfig;
  /** A queue name unique within the turn. */
  queue(suffix: string): string;
}

export interface TurnResult {
  metrics: Record<string, number>;
  extra?: Record<string, unknown>;
}

export interface Scenario {
  id: string;
  family: string;
  metrics: MetricDef[];
  run(ctx: TurnContext): Promise<TurnResult>;
}

export const metric = (
  family: string,
  key: string,
  label: string,
  unit: string,
  better: 'higher' | 'lower',
  digits = 0,
  chart = label,
): MetricDef => ({ key: `${family}.${key}`, family, label, chart: `${family}: ${chart} (${unit})`, unit, better, digits });

/** Generous wait budget for processing `jobs` (assumes at least 500 jobs/s, plus a minute). */
export const budgetMs = (jobs: number) => 60_000 + jobs * 2;

/** Adds `n` jobs with the library's bulk call, `batch` at a time; `opts(i)` gives job i's options. */
export async function prefill(
  ctx: TurnContext,
  queue: string,
  n: number,
  retention: Retention,
  opts?: (i: number) => AddOptions | undefined,
): Promise<void> {
  const producer = await ctx.adapter.producer(ctx.redis, queue, retention);
  try {
    for (let i = 0; i < n; i += ctx.config.batch) {
      const size = Math.min(ctx.config.batch, n - i);
      const data = Array.from({ length: size }, (_, k) => payload(i + k));
      await producer.addBulk(data, opts ? data.map((_, k) => opts(i + k)) : undefined);
    }
  } finally {
    await producer.close();
  }
}

/** Runs `fn` between two INFO snapshots. */
export async function aroundRedis<T>(redis: RedisServer, fn: () => Promise<T>): Promise<{ value: T; delta: RedisDelta }> {
  const before = await redis.snapshot();
  const value = await fn();
  const after = await redis.snapshot();
  return { value, delta: diffSnapshots(before, after) };
}

/** The commands that a phase ran, per job, most frequent first (for the JSON and the report). */
export function commandsPerJob(delta: RedisDelta, jobs: number): Record<string, number> {
  const out: Record<string, number> = {};
  const sorted = Object.entries(delta.commands).sort((a, b) => b[1].calls - a[1].calls);
  for (const [name, c] of sorted) out[name] = Math.round((c.calls / jobs) * 1000) / 1000;
  return out;
}

/** µs of Redis time inside each command, per job (script calls include their inner commands). */
export function usecPerJob(delta: RedisDelta, jobs: number): Record<string, number> {
  const out: Record<string, number> = {};
  const sorted = Object.entries(delta.commands).sort((a, b) => b[1].usec - a[1].usec);
  for (const [name, c] of sorted) out[name] = Math.round((c.usec / jobs) * 100) / 100;
  return out;
}
