// Bounded work per call (invariant 10, docs/invariants.md), sluice only: queues with many ordering
// keys, waiting jobs and deduplication ids, then the operations whose cost used to grow with
// them — a burst of lease calls taking every keyed job (the cost of a call follows its batch
// of 1,000 jobs) and the call after it, a drain of
// keyed jobs and the lease after it, removes of jobs that are not in a big wait list, and two
// obliterates (one of a queue whose keys hold leased jobs, one of a queue with dedup ids in a
// large keyspace). For each: the slowest single script call (SLOWLOG, every command logged
// while the operation runs), how many script calls it took and its wall time.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Queue } from '../../src/index.js';
import { queueKeys } from '../../src/redis/keys.js';
import { writeGroupLimits } from '../../src/flow-control/rate-limit.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts } from '../../src/redis/scripts.js';
import { diffSnapshots } from '../lib/redis-server.js';
import { metric, type MetricDef, type Scenario, type TurnContext, type TurnResult } from './types.js';

export interface BoundedConfig {
  /** Ordered jobs, each under its own ordering key (two queues of this many). */
  keys: number;
  /** Waiting jobs in one group's wait list (lifo jobs). */
  waiting: number;
  /** How many of those waiting jobs hold a deduplication id. */
  dedup: number;
}

const family = 'bounded';
const OPS = [
  ['lease', 'lease burst (1,000 jobs a call) over the ring of keys'],
  ['leaseAfterBurst', 'one lease after the burst'],
  ['drain', 'drain of keyed jobs'],
  ['leaseAfterDrain', 'one lease after the drain'],
  ['remove', 'remove() of jobs outside a big wait list'],
  ['obliterateKeys', 'obliterate (force) of leased keyed jobs'],
  ['obliterateDedup', 'obliterate of a queue with dedup ids'],
] as const;

type Op = (typeof OPS)[number][0];

const logger = pino({ level: 'warn' });
const LEASE_CONFIG = JSON.stringify({ leaseMs: 600_000, maxStalls: 3, keepFailed: [100, -1] });
const ADD_BATCH = 1_000;
/** Script calls faster than this (µs) are not logged: the slowest is then reported as 0. */
const SLOWLOG_THRESHOLD_US = 200;

interface Measured {
  slowestMs: number;
  calls: number;
  wallMs: number;
  /** The five slowest script calls and the median of those logged (ms), for the JSON. */
  top: number[];
  medianMs: number;
}

/**
 * Runs `fn`; returns its slowest script call (SLOWLOG, which in Redis 7 also logs the commands
 * run inside scripts: the threshold keeps those out, and keeps the log from overflowing), how
 * many script calls it made (commandstats) and its wall time.
 */
async function measure(ctx: TurnContext, admin: Redis, fn: () => Promise<void>): Promise<Measured> {
  await admin.config('SET', 'slowlog-log-slower-than', String(SLOWLOG_THRESHOLD_US));
  await admin.slowlog('RESET');
  const before = await ctx.redis.snapshot();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const delta = diffSnapshots(before, await ctx.redis.snapshot());
  await admin.config('SET', 'slowlog-log-slower-than', '10000');
  const entries = (await admin.call('SLOWLOG', 'GET', '-1')) as [number, number, number, string[]][];
  await admin.slowlog('RESET');
  const durations = entries
    .filter((e) => ['evalsha', 'eval'].includes(String(e[3][0]).toLowerCase()))
    .map((e) => Number(e[2]) / 1000)
    .sort((a, b) => b - a);
  const calls = (delta.commands.evalsha?.calls ?? 0) + (delta.commands.eval?.calls ?? 0);
  const medianMs = durations.length ? durations[Math.floor(durations.length / 2)]! : 0;
  return { slowestMs: durations[0] ?? 0, calls, wallMs, top: durations.slice(0, 5), medianMs };
}

/** Adds `n` jobs, ADD_BATCH per call; returns their ids. */
async function fill(queue: Queue, n: number, opts: (i: number) => Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += ADD_BATCH) {
    const size = Math.min(ADD_BATCH, n - i);
    const jobs = await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: 'b', data: { i: i + k }, opts: opts(i + k) })));
    for (const job of jobs) ids.push(job.id);
  }
  return ids;
}

export function boundedScenario(c: BoundedConfig): Scenario {
  const n = (x: number) => x.toLocaleString('en-US');
  const metrics: MetricDef[] = OPS.flatMap(([op, label]) => [
    { ...metric(family, `${op}.slowest`, `${label}: slowest call`, 'ms', 'lower', 2), libs: ['sluice'] as const },
    { ...metric(family, `${op}.calls`, `${label}: script calls`, 'calls', 'lower', 0), libs: ['sluice'] as const },
    { ...metric(family, `${op}.wall`, `${label}: wall time`, 'ms', 'lower', 0), libs: ['sluice'] as const },
  ]);
  return {
    id: family,
    family,
    metrics,
    async run(ctx: TurnContext): Promise<TurnResult> {
      if (ctx.lib !== 'sluice') return { metrics: {} };
      const admin = new Redis(ctx.redis.url);
      await admin.config('SET', 'slowlog-max-len', '100000');
      const client = new Redis(ctx.redis.url);
      registerScripts(client);
      const queues: Queue[] = [];
      const open = (name: string) => {
        const q = new Queue(name, { connection: ctx.redis.url, logger, defaultJobOptions: { removeOnComplete: true } });
        queues.push(q);
        return q;
      };
      const out: Partial<Record<Op, Measured>> = {};
      try {
        // (1) ring: one job per key, two slots per key; lease bursts until nothing is left
        const ringName = ctx.queue('ring');
        const ring = open(ringName);
        await writeGroupLimits(admin, queueKeys('sluice', ringName), 'default', { keyConcurrency: 2 });
        await fill(ring, c.keys, (i) => ({ orderingKey: `k${i}` }));
        const ringScripts = new Scripts(client, queueKeys('sluice', ringName));
        let nonce = 0;
        out.lease = await measure(ctx, admin, async () => {
          for (let calls = 0; calls < c.keys / 1000; calls++)
            await ringScripts.lease('default', 'bench', `n${++nonce}`, 1000, LEASE_CONFIG);
        });
        out.leaseAfterBurst = await measure(ctx, admin, async () => {
          await ringScripts.lease('default', 'bench', `n${++nonce}`, 1000, LEASE_CONFIG);
        });
        // (2) lines: one job per key, drained; then a lease finds what the drain left in the ring
        const lines = open(ctx.queue('lines'));
        await fill(lines, c.keys, (i) => ({ orderingKey: `k${i}` }));
        out.drain = await measure(ctx, admin, async () => {
          await lines.drain();
        });
        const linesScripts = new Scripts(client, queueKeys('sluice', lines.name));
        out.leaseAfterDrain = await measure(ctx, admin, async () => {
          await linesScripts.lease('default', 'bench', `n${++nonce}`, 1000, LEASE_CONFIG);
        });
        // (3) a big wait list (lifo jobs, some holding dedup ids), and prioritised jobs beside it
        const dedup = open(ctx.queue('dedup'));
        const waiting = await fill(dedup, c.waiting, (i) =>
          i < c.dedup ? { lifo: true, deduplication: { id: `d${i}` } } : { lifo: true },
        );
        const prioritised = await fill(dedup, 20, () => ({ priority: 5 }));
        const mid = Math.floor(waiting.length / 2);
        const victims = [...prioritised, ...waiting.slice(0, 20), ...waiting.slice(-20), ...waiting.slice(mid, mid + 20)];
        out.remove = await measure(ctx, admin, async () => {
          for (const id of victims) await dedup.remove(id);
        });
        out.obliterateKeys = await measure(ctx, admin, async () => {
          await ring.obliterate({ force: true });
        });
        out.obliterateDedup = await measure(ctx, admin, async () => {
          await dedup.obliterate();
        });
      } finally {
        await Promise.allSettled(queues.map((q) => q.close()));
        client.disconnect();
        admin.disconnect();
      }
      const metricsOut: Record<string, number> = {};
      for (const [op, m] of Object.entries(out)) {
        metricsOut[`${family}.${op}.slowest`] = m.slowestMs;
        metricsOut[`${family}.${op}.calls`] = m.calls;
        metricsOut[`${family}.${op}.wall`] = m.wallMs;
      }
      const calls = Object.fromEntries(Object.entries(out).map(([op, m]) => [op, { top: m.top, medianMs: m.medianMs }]));
      return { metrics: metricsOut, extra: { sizes: { keys: n(c.keys), waiting: n(c.waiting), dedup: n(c.dedup) }, calls } };
    },
  };
}
