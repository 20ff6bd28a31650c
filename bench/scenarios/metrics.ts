// Metrics reads under load, sluice only: the Redis CPU one Prometheus scrape (Queue.metrics())
// and one dashboard refresh cost on a queue holding many jobs — waiting, completed and failed — against an empty queue.
// The reads are bounded (job counts, fixed-size metrics keys, group cursors, the registry), so
// the two should cost about the same. Redis time per read is the delta of the usec INFO
// commandstats reports, summed over every command, divided by the reads; `used_cpu_sys+user`
// is reported too. The dashboard's refresh of a queue (its overview and each group's activity)
// is measured the same way (READS below).
import { pino } from 'pino';
import { Queue, UnrecoverableError, Worker, readGroupActivity } from '../../src/index.js';
import { queueOverview } from '../../src/ops/overview.js';
import { diffSnapshots } from '../lib/redis-server.js';
import { metric, type MetricDef, type Scenario, type TurnContext, type TurnResult } from './types.js';

/** The metrics scenario's sizes. */
export interface MetricsBenchConfig {
  /** Jobs in the big queue (waiting, completed and failed together). */
  jobs: number;
  /** Of those, how many a worker runs before the reads (a quarter of them fail for good). */
  processed: number;
  /** Reads measured per queue. */
  reads: number;
}

const family = 'metrics';
const logger = pino({ level: 'warn' });
const ADD_BATCH = 1_000;
const PARALLEL_ADDS = 4;

/** The reads measured: each one more line here (e.g. `overview: (q) => queueOverview(q)`). */
const READS: Record<string, (queue: Queue) => Promise<unknown>> = {
  scrape: (q) => q.metrics(),
  // the dashboard's refresh of one queue: GET api/queues/:queue reads exactly these
  overview: async (q) => {
    const overview = await queueOverview(q);
    await Promise.all(overview.groups.map((g) => readGroupActivity(q, g.name)));
  },
};

/** Adds `n` small jobs, keeping every finished one (for full completed and failed sets). */
async function fill(queue: Queue, n: number): Promise<void> {
  const keep = { removeOnComplete: false, removeOnFail: false };
  let next = 0;
  const producer = async () => {
    while (next < n) {
      const start = next;
      const size = Math.min(ADD_BATCH, n - start);
      next += size;
      await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: 'm', data: { i: start + k }, opts: keep })));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_ADDS }, producer));
}

/** Runs `count` jobs of the queue with a fast worker (every fourth fails for good), then closes it. */
async function runSome(url: string, name: string, count: number): Promise<void> {
  let settled = 0;
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => {
    done = resolve;
  });
  const worker = new Worker<{ i: number }>(
    name,
    async (job) => {
      if (job.data.i % 4 === 0) throw new UnrecoverableError('bench failure');
      return null;
    },
    { connection: url, concurrency: 200, logger, metrics: { flushMs: 1_000 } },
  );
  const settle = () => {
    if (++settled >= count) done();
  };
  worker.on('completed', settle);
  worker.on('failed', settle);
  await enough;
  await worker.close();
}

/** Redis time (commandstats usec, and used CPU) per call of `read`, over `n` calls. */
async function measure(
  ctx: TurnContext,
  n: number,
  read: () => Promise<unknown>,
): Promise<{ usec: number; cpuUs: number; wallMs: number; perCommand: Record<string, [calls: number, usec: number]> }> {
  await read(); // warm: scripts, Queue readiness
  const before = await ctx.redis.snapshot();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await read();
  const wallMs = (performance.now() - t0) / n;
  const delta = diffSnapshots(before, await ctx.redis.snapshot());
  // the two INFO calls of the snapshots are counted too: negligible against n reads
  const usec = Object.values(delta.commands).reduce((sum, c) => sum + c.usec, 0);
  // per read: calls and usec of each command, costliest first (for the JSON)
  const perCommand = Object.fromEntries(
    Object.entries(delta.commands)
      .sort((a, b) => b[1].usec - a[1].usec)
      .map(([name, c]) => [name, [Math.round((c.calls / n) * 100) / 100, Math.round((c.usec / n) * 100) / 100] as [number, number]]),
  );
  return { usec: usec / n, cpuUs: delta.cpuUs / n, wallMs, perCommand };
}

export function metricsScenario(c: MetricsBenchConfig): Scenario {
  const n = c.jobs.toLocaleString('en-US');
  const metrics: MetricDef[] = Object.keys(READS).flatMap((read) =>
    ['big', 'empty'].flatMap((size) => [
      {
        ...metric(
          family,
          `${read}.${size}.usec`,
          `${read} of ${size === 'big' ? `a ${n}-job` : 'an empty'} queue: Redis usec`,
          'µs',
          'lower',
          0,
        ),
        libs: ['sluice'] as const,
      },
      {
        ...metric(
          family,
          `${read}.${size}.wall`,
          `${read} of ${size === 'big' ? `a ${n}-job` : 'an empty'} queue: wall time`,
          'ms',
          'lower',
          2,
        ),
        libs: ['sluice'] as const,
      },
    ]),
  );
  return {
    id: family,
    family,
    metrics,
    async run(ctx: TurnContext): Promise<TurnResult> {
      if (ctx.lib !== 'sluice') return { metrics: {} };
      const big = new Queue(ctx.queue('big'), { connection: ctx.redis.url, logger });
      const empty = new Queue(ctx.queue('empty'), { connection: ctx.redis.url, logger });
      const out: Record<string, number> = {};
      const extra: Record<string, unknown> = {};
      try {
        const t0 = performance.now();
        await fill(big, c.jobs);
        await runSome(ctx.redis.url, big.name, c.processed);
        extra.buildMs = Math.round(performance.now() - t0);
        extra.counts = await big.getJobCounts();
        await empty.waitUntilReady();
        for (const [read, fn] of Object.entries(READS)) {
          for (const [size, queue] of [
            ['big', big],
            ['empty', empty],
          ] as const) {
            const m = await measure(ctx, c.reads, () => fn(queue));
            out[`${family}.${read}.${size}.usec`] = m.usec;
            out[`${family}.${read}.${size}.wall`] = m.wallMs;
            extra[`${read}.${size}.cpuUs`] = Math.round(m.cpuUs);
            extra[`${read}.${size}.perCommand`] = m.perCommand;
          }
        }
      } finally {
        await Promise.allSettled([big.close(), empty.close()]);
      }
      return { metrics: out, extra };
    },
  };
}
