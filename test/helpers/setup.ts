// Per-file fixture: one Redis for the file, a unique prefix per test, and bookkeeping that
// closes every queue and worker a test made, and fails a test on an unexpected 'error' event.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Queue, Worker, type ConnectionInput, type Processor, type QueueOptions, type WorkerOptions } from '../../src/index.js';
import { startRedis, uniquePrefix, type TestRedis } from './redis.js';

export const quietLogger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });

/**
 * What every per-file fixture gives its tests, on `target`: a unique key prefix per test
 * (`newPrefix()`), queues and workers on `connection()` that are closed after each test, and a
 * test failed by a worker's unexpected 'error' event.
 */
export function withQueues<T extends object>(target: T, connection: () => ConnectionInput | string[]) {
  const open: { close(): Promise<void> }[] = [];
  const errors: Error[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.close()));
    const unexpected = errors.splice(0);
    if (unexpected.length) throw new Error(`unexpected worker error: ${unexpected[0]!.message}`);
  });
  let prefix = uniquePrefix();
  const parts = {
    get prefix(): string {
      return prefix;
    },
    newPrefix(): string {
      prefix = uniquePrefix();
      return prefix;
    },
    queue<D = unknown, R = unknown>(name: string, opts: Partial<QueueOptions> = {}): Queue<D, R> {
      const q = new Queue<D, R>(name, { connection: connection(), prefix, logger: quietLogger, ...opts });
      open.push(q);
      return q;
    },
    worker<D = unknown, R = unknown>(
      name: string,
      processor: Processor<D, R> | string | URL,
      opts: Partial<WorkerOptions> & { allowErrors?: boolean } = {},
    ): Worker<D, R> {
      const { allowErrors, ...rest } = opts;
      const w = new Worker<D, R>(name, processor, { connection: connection(), prefix, logger: quietLogger, ...rest });
      if (!allowErrors) w.on('error', (err) => errors.push(err));
      open.push({ close: () => w.close({ timeoutMs: 2000 }) });
      return w;
    },
    /** Closes something a test made (a QueueEvents, a client) after the test. */
    track<C extends { close(): Promise<void> }>(closable: C): C {
      open.push(closable);
      return closable;
    },
  };
  // the getter must stay a getter: copied by its descriptor, not by value
  return Object.defineProperties(target, Object.getOwnPropertyDescriptors(parts)) as T & typeof parts;
}

export function useRedis(opts: { persistent?: boolean } = {}) {
  let redis: TestRedis | undefined;
  let admin: Redis | undefined;

  beforeAll(async () => {
    redis = await startRedis(opts);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.close();
  });

  const ctx = withQueues(
    {
      get redis(): TestRedis {
        if (!redis) throw new Error('redis not started');
        return redis;
      },
      get url(): string {
        return ctx.redis.url;
      },
      /** A plain client of the file's Redis, for looking at keys (made on first use). */
      get admin(): Redis {
        admin ??= new Redis(ctx.url);
        return admin;
      },
    },
    () => ctx.url,
  );
  return ctx;
}
