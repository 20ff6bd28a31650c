// Scenario 7, Redis memory: used_memory delta per job (a) for `jobs` waiting jobs (bulk add,
// no options), (b) for `jobs` completed jobs that the retention keeps (sluice and BullMQ
// removeOnComplete: false, Bee-Queue removeOnSuccess: false), after a worker process has
// processed them all and exited. Each part starts from an empty Redis (FLUSHALL), and
// measures with no client of the libraries connected.
import { ChildHandle } from '../lib/protocol.js';
import type { WorkerChildConfig, WorkerChildResult } from '../worker-child.js';
import { budgetMs, metric, prefill, type Scenario, type TurnContext } from './types.js';

export function memoryScenario(jobs: number): Scenario {
  const family = 'memory';
  return {
    id: family,
    family,
    metrics: [
      metric(family, 'waiting', `per waiting job (${jobs.toLocaleString('en-US')} jobs)`, 'B/job', 'lower', 0, 'per waiting job'),
      metric(family, 'completed', 'per retained completed job', 'B/job', 'lower'),
    ],
    async run(ctx: TurnContext) {
      await ctx.redis.flushAll();
      const base1 = (await ctx.redis.snapshot()).usedMemory;
      await prefill(ctx, ctx.queue('mem-waiting'), jobs, 'default');
      const waiting = ((await ctx.redis.snapshot()).usedMemory - base1) / jobs;

      await ctx.redis.flushAll();
      const base2 = (await ctx.redis.snapshot()).usedMemory;
      const queue = ctx.queue('mem-completed');
      await prefill(ctx, queue, jobs, 'keep');
      const config: WorkerChildConfig = {
        lib: ctx.lib,
        redis: { host: ctx.redis.host, port: ctx.redis.port },
        queue,
        concurrency: 100,
        expected: jobs,
        retention: 'keep',
        latency: false,
      };
      const worker = await ChildHandle.fork('worker-child', `${ctx.lib} worker`, config);
      try {
        worker.send({ type: 'start' });
        const result = (await worker.waitFor('done', budgetMs(jobs))).result as WorkerChildResult;
        if (result.failed > 0) throw new Error(`${result.failed} jobs failed in the worker`);
      } finally {
        await worker.stop();
      }
      const completed = ((await ctx.redis.snapshot()).usedMemory - base2) / jobs;
      return { metrics: { [`${family}.waiting`]: waiting, [`${family}.completed`]: completed } };
    },
  };
}
