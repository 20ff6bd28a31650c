// BullMQ behind the bench's common adapter interface. BullMQ ships CommonJS; under NodeNext
// ESM its named exports import directly. Retention is set per job through defaultJobOptions
// (removeOnComplete), the library's usual place for it.
import { createRequire } from 'node:module';
import { Queue, Worker, type DefaultJobOptions, type JobsOptions } from 'bullmq';
import type { Adapter, AddOptions, Payload, Retention } from './types.js';

const pkg = createRequire(import.meta.url)('bullmq/package.json') as { version: string };

function jobOptions(retention: Retention): DefaultJobOptions {
  if (retention === 'remove') return { removeOnComplete: true };
  if (retention === 'keep') return { removeOnComplete: false };
  return {};
}

/** Per-job options (merged by BullMQ over defaultJobOptions); undefined for a plain job. */
function addOptions(o: AddOptions | undefined): JobsOptions | undefined {
  if (!o || (o.delayMs === undefined && o.priority === undefined)) return undefined;
  const out: JobsOptions = {};
  if (o.delayMs !== undefined) out.delay = o.delayMs;
  if (o.priority !== undefined) out.priority = o.priority;
  return out;
}

export const adapter: Adapter = {
  name: 'bullmq',
  version: pkg.version,
  async producer(redis, queueName, retention) {
    const queue = new Queue<Payload>(queueName, {
      connection: { host: redis.host, port: redis.port },
      defaultJobOptions: jobOptions(retention),
    });
    queue.on('error', () => undefined);
    await queue.waitUntilReady();
    return {
      add: async (data, opts) => {
        await queue.add('bench', data, addOptions(opts));
      },
      addBulk: async (data, opts) => {
        await queue.addBulk(data.map((d, k) => ({ name: 'bench', data: d, opts: addOptions(opts?.[k]) })));
      },
      close: () => queue.close(),
    };
  },
  async worker(redis, queueName, spec) {
    const worker = new Worker<Payload>(
      queueName,
      async (job) => {
        spec.onStart(job.data, job.processedOn);
      },
      // a worker connection must retry forever (BullMQ requires maxRetriesPerRequest: null)
      {
        connection: { host: redis.host, port: redis.port, maxRetriesPerRequest: null },
        concurrency: spec.concurrency,
        ...(spec.limiter ? { limiter: spec.limiter } : {}),
        // its long poll on an empty queue, in whole seconds (sluice's blockMs)
        ...(spec.blockMs ? { drainDelay: Math.ceil(spec.blockMs / 1000) } : {}),
      },
    );
    worker.on('completed', () => spec.onCompleted());
    worker.on('failed', (_job, err) => spec.onFailed(err));
    worker.on('error', (err) => spec.onFailed(err));
    await worker.waitUntilReady();
    return { close: () => worker.close() };
  },
};
