// Scenarios 14–16, low load (family `low-load`): what one job costs when jobs are few — the
// round trips, blocking calls and per-job bookkeeping that throughput runs amortise away.
//   one-in-flight: concurrency 1 (sluice prefetch: 0), the producer adds a job only once the
//     worker has completed the previous one (worker → parent → producer, one IPC message each
//     way), `jobs` times; jobs/s, Redis commands, Redis CPU and worker CPU per job, latency.
//   steady-200: a producer paced at `rate` jobs/s for `seconds`, worker concurrency 10,
//     completed jobs removed; Redis commands and CPU per job, worker CPU (% of a core and per
//     job), latency add → processor start.
//   idle: a worker with nothing to do for `timeouts` of its block timeouts (sluice blockMs,
//     BullMQ drainDelay; Bee-Queue blocks without one); Redis commands per block timeout.
// RabbitMQ and NATS JetStream run the first two as reference points (jobs/s, worker CPU,
// latency; Redis figures are n/a), each turn on a queue/stream it creates and deletes.
import type { RedisDelta } from '../lib/redis-server.js';
import { ChildHandle } from '../lib/protocol.js';
import { produceAndDrain, withWorkerAndProducer } from '../lib/worker-and-producer.js';
import { sleep } from '../lib/cleanup.js';
import { LIBRARIES, REDIS_LIBRARIES, type LibName } from '../adapters/types.js';
import type { ProducerChildConfig } from '../producer-child.js';
import type { WorkerChildConfig, WorkerChildResult } from '../worker-child.js';
import { aroundRedis, budgetMs, commandsPerJob, metric, usecPerJob, type MetricDef, type Scenario, type TurnContext } from './types.js';

export interface LowLoadConfig {
  oneInFlight: { jobs: number };
  steady: { rate: number; seconds: number; concurrency: number };
  idle: { blockMs: number; timeouts: number; concurrency: number };
}

const FAMILY = 'low-load';

function m(key: string, label: string, unit: string, better: 'higher' | 'lower', digits: number, libs: readonly LibName[]): MetricDef {
  return { ...metric(FAMILY, key, label, unit, better, digits), libs };
}

/** Runs `fn` on the broker's freshly created queue/stream, deleted after; a Redis library just runs it. */
async function onBrokerQueue<T>(ctx: TurnContext, queue: string, maxInFlight: number, fn: () => Promise<T>): Promise<T> {
  const broker = ctx.adapter.broker;
  if (!broker) return fn();
  await broker.create(queue, { maxInFlight });
  try {
    return await fn();
  } finally {
    await broker.remove(queue).catch((err: Error) => console.error(`  ${ctx.lib}: could not delete ${queue}: ${err.message}`));
  }
}

/** `fn` between two INFO snapshots of the turn's Redis; no delta for a broker. */
async function measure<T>(ctx: TurnContext, fn: () => Promise<T>): Promise<{ value: T; delta: RedisDelta | undefined }> {
  return ctx.adapter.broker ? { value: await fn(), delta: undefined } : aroundRedis(ctx.redis, fn);
}

/** The Redis figures per job (commands incl. those inside Lua, process CPU, time inside commands). */
function redisFigures(prefix: string, delta: RedisDelta | undefined, jobs: number): Record<string, number> {
  if (!delta) return {};
  const inCommands = Object.values(delta.commands).reduce((sum, c) => sum + c.usec, 0);
  return {
    [`${prefix}.cmds`]: delta.calls / jobs,
    [`${prefix}.rediscpu`]: delta.cpuUs / jobs,
    [`${prefix}.redisusec`]: inCommands / jobs,
  };
}

const redisMetrics = (key: string) => [
  m(`${key}.cmds`, 'Redis commands per job (add + process)', 'cmd/job', 'lower', 2, REDIS_LIBRARIES),
  m(`${key}.rediscpu`, 'Redis CPU per job (process sys + user)', 'µs/job', 'lower', 1, REDIS_LIBRARIES),
  m(`${key}.redisusec`, 'Redis time inside commands per job (commandstats usec)', 'µs/job', 'lower', 1, REDIS_LIBRARIES),
];

function oneInFlight(c: LowLoadConfig['oneInFlight']): Scenario {
  const key = 'one';
  return {
    id: 'one-in-flight',
    family: FAMILY,
    metrics: [
      m(`${key}.rate`, `one job in flight, c=1, no prefetch (${c.jobs.toLocaleString('en-US')} jobs)`, 'jobs/s', 'higher', 0, LIBRARIES),
      ...redisMetrics(key),
      m(`${key}.workercpu`, 'worker CPU per job', 'µs/job', 'lower', 1, LIBRARIES),
      m(`${key}.p50`, 'latency p50 (add → processor start)', 'ms', 'lower', 3, LIBRARIES),
    ],
    async run(ctx) {
      const queue = ctx.queue('one');
      const redis = { host: ctx.redis.host, port: ctx.redis.port };
      const wc: WorkerChildConfig = {
        ...{ lib: ctx.lib, redis, queue, concurrency: 1, prefetch: 0, expected: c.jobs, retention: 'remove', latency: true },
        notify: true,
        measureFromRunning: true,
      };
      const pc: ProducerChildConfig = {
        lib: ctx.lib,
        redis,
        queue,
        count: c.jobs,
        retention: 'remove',
        mode: 'lockstep',
        window: 1,
        intervalMs: 0,
      };
      return onBrokerQueue(ctx, queue, 1, () =>
        withWorkerAndProducer(ctx.lib, wc, pc, async (worker, producer) => {
          // every completion lets the producer add the next job; the first 'next' starts it
          worker.onEach('completed', () => producer.send({ type: 'next' }));
          worker.send({ type: 'start' });
          producer.send({ type: 'start' });
          await Promise.all([worker.waitFor('running', 20_000), producer.waitFor('running', 20_000)]);
          const { value, delta } = await measure(ctx, async () => {
            const t0 = performance.now();
            producer.send({ type: 'next' });
            const w = (await worker.waitFor('done', budgetMs(c.jobs))).result as WorkerChildResult;
            return { w, ms: performance.now() - t0 };
          });
          const { w, ms } = value;
          if (w.failed > 0) throw new Error(`${w.failed} jobs failed in the worker`);
          return {
            metrics: {
              [`${FAMILY}.${key}.rate`]: (c.jobs / ms) * 1000,
              ...redisFigures(`${FAMILY}.${key}`, delta, c.jobs),
              [`${FAMILY}.${key}.workercpu`]: w.cpuUs / c.jobs,
              [`${FAMILY}.${key}.p50`]: w.latency!.p50Ms,
            },
            extra: {
              elapsedMs: ms,
              latency: w.latency,
              ...(delta ? { commandsPerJob: commandsPerJob(delta, c.jobs), redisUsecPerJob: usecPerJob(delta, c.jobs) } : {}),
            },
          };
        }),
      );
    },
  };
}

function steady(c: LowLoadConfig['steady']): Scenario {
  const key = 'steady';
  const jobs = c.rate * c.seconds;
  const intervalMs = 1000 / c.rate;
  return {
    id: `steady-${c.rate}`,
    family: FAMILY,
    metrics: [
      ...redisMetrics(key).map((d, i) =>
        i === 0 ? { ...d, label: `steady ${c.rate} jobs/s for ${c.seconds} s, c=${c.concurrency}: ${d.label}` } : d,
      ),
      m(`${key}.workerpct`, 'worker CPU, % of one core', '%', 'lower', 1, LIBRARIES),
      m(`${key}.workercpu`, 'worker CPU per job', 'µs/job', 'lower', 1, LIBRARIES),
      m(`${key}.p50`, 'latency p50 (add → processor start)', 'ms', 'lower', 2, LIBRARIES),
      m(`${key}.p99`, 'latency p99', 'ms', 'lower', 2, LIBRARIES),
      m(`${key}.max`, 'latency max', 'ms', 'lower', 2, LIBRARIES),
    ],
    async run(ctx) {
      const queue = ctx.queue('steady');
      const redis = { host: ctx.redis.host, port: ctx.redis.port };
      const wc: WorkerChildConfig = {
        ...{ lib: ctx.lib, redis, queue, concurrency: c.concurrency, expected: jobs, retention: 'remove', latency: true },
        measureFromRunning: true,
      };
      const pc: ProducerChildConfig = {
        lib: ctx.lib,
        redis,
        queue,
        count: jobs,
        retention: 'remove',
        mode: 'paced',
        window: 1,
        intervalMs,
      };
      return onBrokerQueue(ctx, queue, c.concurrency, () =>
        withWorkerAndProducer(ctx.lib, wc, pc, async (worker, producer) => {
          const budget = budgetMs(jobs) + c.seconds * 1000;
          const { p, w, delta } = await produceAndDrain(worker, producer, { budgetMs: budget, around: (fn) => measure(ctx, fn) });
          const l = w.latency!;
          return {
            metrics: {
              ...redisFigures(`${FAMILY}.${key}`, delta, jobs),
              [`${FAMILY}.${key}.workerpct`]: (w.cpuUs / 1000 / w.elapsedMs) * 100,
              [`${FAMILY}.${key}.workercpu`]: w.cpuUs / jobs,
              [`${FAMILY}.${key}.p50`]: l.p50Ms,
              [`${FAMILY}.${key}.p99`]: l.p99Ms,
              [`${FAMILY}.${key}.max`]: l.maxMs,
            },
            extra: {
              jobs,
              elapsedMs: w.elapsedMs,
              producerLagMs: p.lagMs,
              latency: l,
              ...(delta ? { commandsPerJob: commandsPerJob(delta, jobs), redisUsecPerJob: usecPerJob(delta, jobs) } : {}),
            },
          };
        }),
      );
    },
  };
}

function idle(c: LowLoadConfig['idle']): Scenario {
  const key = 'idle';
  const windowMs = c.timeouts * c.blockMs;
  // the worker's start-up calls (registry, scripts, first lease) settle before the window opens
  const settleMs = 500;
  return {
    id: 'idle',
    family: FAMILY,
    metrics: [
      m(
        `${key}.cmds`,
        `idle worker, c=${c.concurrency}, ${c.timeouts} × ${c.blockMs} ms: Redis commands per block timeout`,
        'cmd',
        'lower',
        2,
        REDIS_LIBRARIES,
      ),
      m(`${key}.workercpu`, 'idle worker CPU per block timeout', 'µs', 'lower', 0, REDIS_LIBRARIES),
    ],
    async run(ctx) {
      const queue = ctx.queue('idle');
      const redis = { host: ctx.redis.host, port: ctx.redis.port };
      const wc: WorkerChildConfig = {
        ...{ lib: ctx.lib, redis, queue, concurrency: c.concurrency, expected: 1, retention: 'remove', latency: false },
        blockMs: c.blockMs,
      };
      const worker = await ChildHandle.fork('worker-child', `${ctx.lib} worker`, wc);
      try {
        worker.send({ type: 'start' });
        await worker.waitFor('running', 20_000);
        await sleep(settleMs);
        worker.send({ type: 'mark' });
        const { delta } = await aroundRedis(ctx.redis, () => sleep(windowMs));
        worker.send({ type: 'finish' });
        const w = (await worker.waitFor('done', 10_000)).result as WorkerChildResult;
        return {
          metrics: {
            [`${FAMILY}.${key}.cmds`]: delta.calls / c.timeouts,
            [`${FAMILY}.${key}.workercpu`]: (w.cpuUs / w.elapsedMs) * c.blockMs,
          },
          extra: { windowMs, settleMs, blockMs: c.blockMs, commandsPerBlockTimeout: commandsPerJob(delta, c.timeouts) },
        };
      } finally {
        await worker.stop();
      }
    },
  };
}

export const lowLoadScenarios = (c: LowLoadConfig): Scenario[] => [oneInFlight(c.oneInFlight), steady(c.steady), idle(c.idle)];
