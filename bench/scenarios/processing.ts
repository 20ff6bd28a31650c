// Scenarios 2, 5 and 6, processing: `jobs` pre-filled jobs (bulk add), then one worker process
// with a no-op processor at each concurrency; its time runs from its start until it has seen
// `jobs` completed events. Around that run: Redis commands per job and Redis CPU per job (INFO
// commandstats / cpu deltas) and the worker's own CPU per job (process.cpuUsage in the child).
// Completed jobs are removed at once for all three libraries, so they do the same work.
import { drainInWorker } from './drain.js';
import { commandsPerJob, metric, prefill, usecPerJob, type Scenario, type TurnContext } from './types.js';

function processingScenario(concurrency: number): Scenario {
  const family = `processing-c${concurrency}`;
  return {
    id: family,
    family,
    metrics: [
      metric(family, 'rate', `drain, concurrency ${concurrency}`, 'jobs/s', 'higher', 0, 'throughput'),
      metric(family, 'cmds', 'Redis commands per job', 'cmd/job', 'lower', 2),
      metric(family, 'rediscpu', 'Redis CPU per job', 'µs/job', 'lower', 2),
      metric(family, 'workercpu', 'worker CPU per job', 'µs/job', 'lower', 1),
    ],
    async run(ctx: TurnContext) {
      const jobs = ctx.config.jobs;
      const queue = ctx.queue('processing');
      await prefill(ctx, queue, jobs, 'remove');
      const { result, delta } = await drainInWorker(ctx, queue, jobs, { concurrency });
      return {
        metrics: {
          [`${family}.rate`]: (jobs / result.elapsedMs) * 1000,
          [`${family}.cmds`]: delta.calls / jobs,
          [`${family}.rediscpu`]: delta.cpuUs / jobs,
          [`${family}.workercpu`]: result.cpuUs / jobs,
        },
        extra: { elapsedMs: result.elapsedMs, commandsPerJob: commandsPerJob(delta, jobs), redisUsecPerJob: usecPerJob(delta, jobs) },
      };
    },
  };
}

export const processingScenarios = (concurrencies: number[]): Scenario[] => concurrencies.map(processingScenario);
