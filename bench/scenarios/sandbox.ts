// Sandboxed processors, sluice and BullMQ (Bee-Queue has none): how fast a no-op job goes
// in-process, in worker threads and in child processes, and how many CPU-bound jobs (cpuMs of
// busy CPU each) a worker gets through at concurrency = cores. The same CommonJS processor file
// (bench/fixtures/sandbox-processor.cjs) runs in both libraries' sandboxes; jobs are added
// before the worker starts, and the clock runs from the worker's start to the last completion.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Queue as BullQueue, Worker as BullWorker } from 'bullmq';
import { pino } from 'pino';
import { Queue, Worker } from '../../src/index.js';
import { metric, type MetricDef, type Scenario, type TurnContext, type TurnResult } from './types.js';

/** The sandbox scenario's sizes. */
export interface SandboxBenchConfig {
  /** No-op jobs per variant. */
  noopJobs: number;
  noopConcurrency: number;
  /** CPU-bound jobs, and the busy CPU time of each (ms). */
  cpuJobs: number;
  cpuMs: number;
}

const family = 'sandbox';
const logger = pino({ level: 'warn' });
/** The compiled scenario runs from dist/bench/scenarios: the fixture stays in bench/fixtures. */
const FILE = fileURLToPath(new URL('../../../bench/fixtures/sandbox-processor.cjs', import.meta.url));
const VARIANTS = ['inproc', 'thread', 'process'] as const;
type Variant = (typeof VARIANTS)[number];

async function inProcessNoop(): Promise<null> {
  return null;
}

/** Runs `jobs` jobs (data from `data`) through one worker of `lib`; jobs/s from its start to the last completion. */
async function drain(ctx: TurnContext, variant: Variant, jobs: number, concurrency: number, data: object): Promise<number> {
  const name = ctx.queue(`${variant}-${concurrency}`);
  const url = ctx.redis.url;
  const connection = { host: ctx.redis.host, port: ctx.redis.port, maxRetriesPerRequest: null };
  let done = 0;
  let finish: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const settle = () => {
    if (++done === jobs) finish();
  };
  const batch = Array.from({ length: jobs }, () => ({ name: 'sandbox', data }));
  let t0: number;
  if (ctx.lib === 'sluice') {
    const queue = new Queue(name, { connection: url, logger, defaultJobOptions: { removeOnComplete: true } });
    for (let i = 0; i < jobs; i += 1000) await queue.addBulk(batch.slice(i, i + 1000));
    await queue.close();
    t0 = performance.now();
    const processor = variant === 'inproc' ? inProcessNoop : FILE;
    const sandbox = variant === 'inproc' ? {} : { sandbox: { type: variant } };
    const worker = new Worker(name, processor, { connection: url, concurrency, logger, metrics: false, ...sandbox });
    worker.on('completed', settle);
    worker.on('failed', settle);
    await all;
    const elapsed = performance.now() - t0;
    await worker.close();
    return (jobs / elapsed) * 1000;
  }
  const queue = new BullQueue(name, { connection, defaultJobOptions: { removeOnComplete: true } });
  for (let i = 0; i < jobs; i += 1000) await queue.addBulk(batch.slice(i, i + 1000));
  await queue.close();
  t0 = performance.now();
  const processor = variant === 'inproc' ? inProcessNoop : FILE;
  const worker = new BullWorker(name, processor, { connection, concurrency, useWorkerThreads: variant === 'thread' });
  worker.on('completed', settle);
  worker.on('failed', settle);
  worker.on('error', () => undefined);
  await all;
  const elapsed = performance.now() - t0;
  await worker.close();
  return (jobs / elapsed) * 1000;
}

export function sandboxScenario(c: SandboxBenchConfig): Scenario {
  const cores = availableParallelism();
  const libs = ['sluice', 'bullmq'] as const;
  const metrics: MetricDef[] = [
    ...VARIANTS.map((v) => ({
      ...metric(
        family,
        `noop.${v}`,
        `no-op jobs, ${v === 'inproc' ? 'in-process' : v === 'thread' ? 'in threads' : 'in processes'}, c=${c.noopConcurrency}`,
        'jobs/s',
        'higher',
      ),
      libs,
    })),
    { ...metric(family, 'cpu.thread', `${c.cpuMs} ms CPU jobs in threads, c=${cores} (cores)`, 'jobs/s', 'higher', 1), libs },
    { ...metric(family, 'cpu.process', `${c.cpuMs} ms CPU jobs in processes, c=${cores} (cores)`, 'jobs/s', 'higher', 1), libs },
  ];
  return {
    id: family,
    family,
    metrics,
    async run(ctx: TurnContext): Promise<TurnResult> {
      if (ctx.lib === 'bee-queue') return { metrics: {} };
      const out: Record<string, number> = {};
      for (const v of VARIANTS) out[`${family}.noop.${v}`] = await drain(ctx, v, c.noopJobs, c.noopConcurrency, {});
      out[`${family}.cpu.thread`] = await drain(ctx, 'thread', c.cpuJobs, cores, { cpuMs: c.cpuMs });
      out[`${family}.cpu.process`] = await drain(ctx, 'process', c.cpuJobs, cores, { cpuMs: c.cpuMs });
      const ideal = (cores * 1000) / c.cpuMs;
      return { metrics: out, extra: { cores, idealCpuJobsPerSec: ideal } };
    },
  };
}
