// Bee-Queue behind the bench's common adapter interface. Bee-Queue is CommonJS and its type
// declarations need @types/redis (v3), so it is loaded with require and typed by the small
// interface below. The producer is a non-worker queue without event subscription (as its
// docs advise for producers); retention is the worker's removeOnSuccess setting. Delays are
// absolute in Bee-Queue (delayUntil), and only a queue with activateDelayedJobs runs them:
// the worker sets it when the scenario asks for delayed jobs (other settings at their
// defaults, delayedDebounce 1000 ms included). Bee-Queue has no priorities, and an idle worker
// blocks in BRPOPLPUSH without a timeout (no blockMs to set).
import { createRequire } from 'node:module';
import type { Adapter, AddOptions, Payload } from './types.js';

interface BeeJob {
  data: Payload;
  delayUntil(timestamp: number | Date): BeeJob;
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

/** The job for `data` with `opts`: due at add time (data.t) + delay, rounded up to Bee-Queue's ms. */
function createJob(queue: BeeQueue, data: Payload, opts: AddOptions | undefined): BeeJob {
  if (opts?.priority !== undefined) throw new Error('bee-queue has no job priorities');
  const job = queue.createJob(data);
  return opts?.delayMs ? job.delayUntil(Math.ceil(data.t + opts.delayMs)) : job;
}

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
      add: async (data, opts) => {
        await createJob(queue, data, opts).save();
      },
      addBulk: async (data, opts) => {
        const errors = await queue.saveAll(data.map((d, k) => createJob(queue, d, opts?.[k])));
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
      ...(spec.delayed ? { activateDelayedJobs: true } : {}),
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
