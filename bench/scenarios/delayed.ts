// Scenario 8, timeliness of delayed jobs: a worker process (idle, already blocked in Redis for
// new work) and then a producer process that adds `jobs` jobs with single add() calls
// (parallel batches of `window`), job i delayed by a pseudo-random whole number of ms in
// [minMs, maxMs] — the same delays in every turn and for every library. The worker records,
// as each processor starts, its lateness: now − (add time + delay), both times
// performance.timeOrigin + performance.now() (one machine clock; the add time is taken just
// before the add() call). sluice and BullMQ take the delay option; Bee-Queue takes
// delayUntil(add time + delay), and its worker queue activateDelayedJobs: true (its other
// settings at their defaults — delayedDebounce is 1000 ms). Also Redis commands per job, from
// the first add until the last job has run.
import { produceAndDrain, withWorkerAndProducer } from '../lib/worker-and-producer.js';
import type { ProducerChildConfig } from '../producer-child.js';
import type { WorkerChildConfig } from '../worker-child.js';
import { aroundRedis, budgetMs, commandsPerJob, metric, type BenchConfig, type Scenario, type TurnContext } from './types.js';

/** How long the worker gets, once running, to reach its blocking wait before the adds start. */
const SETTLE_MS = 300;

export function delayedScenario(c: BenchConfig['delayed']): Scenario {
  const family = 'delayed';
  const what = `lateness, ${c.jobs.toLocaleString('en-US')} jobs delayed ${c.minMs}–${c.maxMs} ms, c=${c.concurrency}`;
  return {
    id: family,
    family,
    metrics: [
      metric(family, 'p50', `p50 ${what}`, 'ms', 'lower', 2, 'p50 lateness'),
      metric(family, 'p99', 'p99 lateness', 'ms', 'lower', 2),
      metric(family, 'max', 'max lateness', 'ms', 'lower', 2),
      metric(family, 'cmds', 'Redis commands per job (add + process, delayed)', 'cmd/job', 'lower', 2, 'Redis commands'),
    ],
    async run(ctx: TurnContext) {
      const queue = ctx.queue('delayed');
      const redis = { host: ctx.redis.host, port: ctx.redis.port };
      const wc: WorkerChildConfig = {
        lib: ctx.lib,
        redis,
        queue,
        concurrency: c.concurrency,
        expected: c.jobs,
        retention: 'remove',
        latency: true,
        delayed: true,
      };
      const pc: ProducerChildConfig = {
        lib: ctx.lib,
        redis,
        queue,
        count: c.jobs,
        retention: 'remove',
        mode: 'batches',
        window: c.window,
        intervalMs: 0,
        delays: { minMs: c.minMs, maxMs: c.maxMs },
      };
      return withWorkerAndProducer(ctx.lib, wc, pc, async (worker, producer) => {
        const budget = budgetMs(c.jobs) + c.maxMs;
        const { p, w, delta } = await produceAndDrain(worker, producer, {
          budgetMs: budget,
          settleMs: SETTLE_MS,
          around: (fn) => aroundRedis(ctx.redis, fn),
        });
        const l = w.latency!;
        return {
          metrics: {
            [`${family}.p50`]: l.p50Ms,
            [`${family}.p99`]: l.p99Ms,
            [`${family}.max`]: l.maxMs,
            [`${family}.cmds`]: delta.calls / c.jobs,
          },
          extra: {
            p90Ms: l.p90Ms,
            meanMs: l.meanMs,
            count: l.count,
            // a job that started before its due time (lateness < 0; counted as 0 above)
            earlyJobs: l.negatives,
            minLatenessMs: l.minMs,
            addMs: p.elapsedMs,
            commandsPerJob: commandsPerJob(delta, c.jobs),
          },
        };
      });
    },
  };
}
