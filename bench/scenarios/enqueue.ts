// Scenario 1, enqueue: `jobs` small JSON jobs added by a producer process (a) with single add()
// calls awaited in parallel batches of `batch`, (b) with the library's bulk call, `batch` jobs
// per call (sluice addBulk, BullMQ addBulk, Bee-Queue saveAll). Reports jobs/s (timed in the
// producer, once connected), and Redis commands and Redis CPU per job (INFO deltas).
import { ChildHandle } from '../lib/protocol.js';
import type { ProducerChildConfig, ProducerChildResult } from '../producer-child.js';
import { aroundRedis, budgetMs, commandsPerJob, metric, type Scenario, type TurnContext } from './types.js';

function enqueueScenario(mode: 'single' | 'bulk'): Scenario {
  const family = `enqueue-${mode}`;
  return {
    id: family,
    family,
    metrics: [
      metric(
        family,
        'rate',
        mode === 'single' ? 'add() ×1000 in parallel' : 'bulk add, 1000 per call',
        'jobs/s',
        'higher',
        0,
        'throughput',
      ),
      metric(family, 'cmds', 'Redis commands per job', 'cmd/job', 'lower', 2),
      metric(family, 'rediscpu', 'Redis CPU per job', 'µs/job', 'lower', 2),
    ],
    async run(ctx: TurnContext) {
      const { jobs, batch } = ctx.config;
      const config: ProducerChildConfig = {
        lib: ctx.lib,
        redis: { host: ctx.redis.host, port: ctx.redis.port },
        queue: ctx.queue('enqueue'),
        count: jobs,
        retention: 'remove',
        mode: mode === 'single' ? 'batches' : 'bulk',
        window: batch,
        intervalMs: 0,
      };
      const producer = await ChildHandle.fork('producer-child', `${ctx.lib} producer`, config);
      try {
        const { value: result, delta } = await aroundRedis(ctx.redis, async () => {
          producer.send({ type: 'start' });
          return (await producer.waitFor('done', budgetMs(jobs))).result as ProducerChildResult;
        });
        return {
          metrics: {
            [`${family}.rate`]: result.rate,
            [`${family}.cmds`]: delta.calls / jobs,
            [`${family}.rediscpu`]: delta.cpuUs / jobs,
          },
          extra: { elapsedMs: result.elapsedMs, commandsPerJob: commandsPerJob(delta, jobs) },
        };
      } finally {
        await producer.stop();
      }
    },
  };
}

export const enqueueScenarios = (): Scenario[] => [enqueueScenario('single'), enqueueScenario('bulk')];
