// Scenario 3, produce and consume at once: a producer process adds `jobs` jobs with single
// add() calls (a window of them in flight) while a worker process consumes them. Reports the
// worker's steady-state rate (completions between the 10% and 90% marks), and Redis commands
// and CPU per job for the whole life of a job (add + process).
import { produceAndDrain, withWorkerAndProducer } from '../lib/worker-and-producer.js';
import type { ProducerChildConfig } from '../producer-child.js';
import type { WorkerChildConfig } from '../worker-child.js';
import { aroundRedis, budgetMs, commandsPerJob, metric, type Scenario, type TurnContext } from './types.js';

export function produceConsumeScenario(concurrency: number, window: number): Scenario {
  const family = 'produce-consume';
  return {
    id: family,
    family,
    metrics: [
      metric(family, 'rate', `steady state, worker c=${concurrency}, ${window} adds in flight`, 'jobs/s', 'higher', 0, 'steady state'),
      metric(family, 'cmds', 'Redis commands per job (add + process)', 'cmd/job', 'lower', 2, 'Redis commands'),
      metric(family, 'rediscpu', 'Redis CPU per job (add + process)', 'µs/job', 'lower', 2, 'Redis CPU'),
    ],
    async run(ctx: TurnContext) {
      const jobs = ctx.config.jobs;
      const queue = ctx.queue('pc');
      const redis = { host: ctx.redis.host, port: ctx.redis.port };
      const wc: WorkerChildConfig = { lib: ctx.lib, redis, queue, concurrency, expected: jobs, retention: 'remove', latency: false };
      const pc: ProducerChildConfig = {
        lib: ctx.lib,
        redis,
        queue,
        count: jobs,
        retention: 'remove',
        mode: 'stream',
        window,
        intervalMs: 0,
      };
      return withWorkerAndProducer(ctx.lib, wc, pc, async (worker, producer) => {
        const value = await produceAndDrain(worker, producer, { budgetMs: budgetMs(jobs), around: (fn) => aroundRedis(ctx.redis, fn) });
        const { delta } = value;
        return {
          metrics: {
            [`${family}.rate`]: value.w.steadyRate,
            [`${family}.cmds`]: delta.calls / jobs,
            [`${family}.rediscpu`]: delta.cpuUs / jobs,
          },
          extra: { producerRate: value.p.rate, workerElapsedMs: value.w.elapsedMs, commandsPerJob: commandsPerJob(delta, jobs) },
        };
      });
    },
  };
}
