// The shared measurement of the draining scenarios: a pre-filled queue drained by one worker
// process of the library, with the Redis counters around it.
import { ChildHandle } from '../lib/protocol.js';
import type { RedisDelta } from '../lib/redis-server.js';
import type { WorkerChildConfig, WorkerChildResult } from '../worker-child.js';
import { aroundRedis, budgetMs, type TurnContext } from './types.js';

/** Forks a worker for `queue` (`config` overrides the defaults), starts it and waits for `jobs` completions. */
export async function drainInWorker(
  ctx: TurnContext,
  queue: string,
  jobs: number,
  config: Partial<WorkerChildConfig> & { concurrency: number },
  extraBudgetMs = 0,
): Promise<{ result: WorkerChildResult; delta: RedisDelta }> {
  const worker = await ChildHandle.fork('worker-child', `${ctx.lib} worker`, {
    lib: ctx.lib,
    redis: { host: ctx.redis.host, port: ctx.redis.port },
    queue,
    expected: jobs,
    retention: 'remove',
    latency: false,
    ...config,
  } satisfies WorkerChildConfig);
  try {
    const { value: result, delta } = await aroundRedis(ctx.redis, async () => {
      worker.send({ type: 'start' });
      return (await worker.waitFor('done', budgetMs(jobs) + extraBudgetMs)).result as WorkerChildResult;
    });
    if (result.failed > 0) throw new Error(`${result.failed} jobs failed in the worker`);
    return { result, delta };
  } finally {
    await worker.stop();
  }
}
