// Bee-Queue behind the bench's common adapter interface. Bee-Queue is CommonJS and its type
// declarations need @types/redis (v3), so it is loaded with require and typed by the small
// interface below. The producer is a non-worker queue without event subscription (as its
// docs advise for producers); retention is the worker's removeOnSuccess setting.
import { createRequire } from 'node:module';
import type { Adapter, Payload } from './types.js';

interface BeeJob {
  data: Payload;
  save(): Promise<BeeJob>;
}

interface BeeQueue {
  ready(): Promise<BeeQueue>;
  createJob(data: Payload): BeeJob;
  saveAll(jobs: BeeJob[]): Promise<Map<BeeJob, Error>>;
  process(concurrency: number, handler: (job: BeeJob) => Promise<unknown>): void;
  on(event: 'succeeded', fn: () => void): this;
  on(event: 'failed' | 'error', fn: (...args: unknown[]) => void): this;
  close(timeoutMs?: number): Promise<void>;
}

type BeeQueueClass = new (name: string, settings: Record<string, unknown>) => BeeQueue;

const require = createRequire(import.meta.url);
const Bee = require('bee-queue') as BeeQueueClass;
const pkg = require('bee-queue/package.json') as { version: string };

export const adapter: Adapter = {
  name: 'bee-queue',
  version: pkg.version,
  async producer(redis, queueName) {
    const queue = new Bee(queueName, {
      redis: { host: redis.host, port: redis.port },
      isWorker: false,
      getEvents: false,
      storeJobs: false,
    });
    queue.on('error', () => undefined);
    await queue.ready();
    return {
      add: async (data) => {
        await queue.createJob(data).save();
      },
      addBulk: async (data) => {
        const errors = await queue.saveAll(data.map((d) => queue.createJob(d)));
        if (errors.size > 0) throw new Error(`bee-queue saveAll: ${errors.size} jobs failed, first: ${[...errors.values()][0]?.message}`);
      },
      close: () => queue.close(5_000),
    };
  },
  async worker(redis, queueName, spec) {
    const queue = new Bee(queueName, {
      redis: { host: redis.host, port: redis.port },
      getEvents: false,
      removeOnSuccess: spec.retention === 'remove',
    });
    queue.on('succeeded', () => spec.onCompleted());
    queue.on('failed', (_job, err) => spec.onFailed(err as Error));
    queue.on('error', (err) => spec.onFailed(err as Error));
    await queue.ready();
    queue.process(spec.concurrency, async (job) => {
      spec.onStart(job.data);
    });
    return { close: () => queue.close(5_000) };
  },
};
