// Scenario 4, end-to-end latency at low load: a producer process adds one job every
// `intervalMs`; a worker process (concurrency 10) records, as each processor starts,
// now − the add time carried in the job data (performance.timeOrigin + performance.now() in
// both processes: one machine clock). Percentiles come from an HDR histogram in the worker.
import { produceAndDrain, withWorkerAndProducer } from '../lib/worker-and-producer.js';
import type { ProducerChildConfig } from '../producer-child.js';
import type { WorkerChildConfig } from '../worker-child.js';
import { aroundRedis, budgetMs, commandsPerJob, metric, type Scenario, type TurnContext } from './types.js';

export function latencyScenario(jobs: number, intervalMs: number, concurrency: number): Scenario {
  const family = 'latency';
  const what = `1 job / ${intervalMs} ms, c=${concurrency}`;
  return {
    id: family,
    family,
    metrics: [
      metric(family, 'p50', `p50, ${what}`, 'ms', 'lower', 2, 'p50'),
      metric(family, 'p90', 'p90', 'ms', 'lower', 2),
      metric(family, 'p99', 'p99', 'ms', 'lower', 2),
      metric(family, 'max', 'max', 'ms', 'lower', 2),
      metric(family, 'cmds', 'Redis commands per job (add + process, low load)', 'cmd/job', 'lower', 2, 'Redis commands'),
    ],
    async run(ctx: TurnContext) {
      const queue = ctx.queue('latency');
      const redis = { host: ctx.redis.host, port: ctx.redis.port };
      const wc: WorkerChildConfig = { lib: ctx.lib, redis, queue, concurrency, expected: jobs, retention: 'remove', latency: true };
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
      return withWorkerAndProducer(ctx.lib, wc, pc, async (worker, producer) => {
        const budget = budgetMs(jobs) + jobs * intervalMs;
        const { p, w, delta } = await produceAndDrain(worker, producer, { budgetMs: budget, around: (fn) => aroundRedis(ctx.redis, fn) });
        const l = w.latency!;
        return {
          metrics: {
            [`${family}.p50`]: l.p50Ms,
            [`${family}.p90`]: l.p90Ms,
            [`${family}.p99`]: l.p99Ms,
            [`${family}.max`]: l.maxMs,
            [`${family}.cmds`]: delta.calls / jobs,
          },
          extra: { meanMs: l.meanMs, count: l.count, producerLagMs: p.lagMs, commandsPerJob: commandsPerJob(delta, jobs) },
        };
      });
    },
  };
}
