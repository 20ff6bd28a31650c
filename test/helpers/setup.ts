// Per-file fixture: one Redis for the file, a unique prefix per test, and bookkeeping that
// closes every queue and worker a test made, and fails a test on an unexpected 'error' event.
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Queue, Worker, type Processor, type QueueOptions, type WorkerOptions } from '../../src/index.js';
import { startRedis, uniquePrefix, type TestRedis } from './redis.js';

export const quietLogger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });

export function useRedis(opts: { persistent?: boolean } = {}) {
  let redis: TestRedis | undefined;
  let admin: Redis | undefined;
  const open: { close(): Promise<void> }[] = [];
  const errors: Error[] = [];

  beforeAll(async () => {
    redis = await startRedis(opts);
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.close()));
    const unexpected = errors.splice(0);
    if (unexpected.length) throw new Error(`unexpected worker error: ${unexpected[0]!.message}`);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redis?.close();
  });

  const ctx = {
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
    prefix: uniquePrefix(),
    newPrefix(): string {
      ctx.prefix = uniquePrefix();
      return ctx.prefix;
    },
    queue<D = unknown, R = unknown>(name: string, opts: Partial<QueueOptions> = {}): Queue<D, R> {
      const q = new Queue<D, R>(name, { connection: ctx.url, prefix: ctx.prefix, logger: quietLogger, ...opts });
      open.push(q);
      return q;
    },
    worker<D = unknown, R = unknown>(
      name: string,
      processor: Processor<D, R>,
      opts: Partial<WorkerOptions> & { allowErrors?: boolean } = {},
    ): Worker<D, R> {
      const { allowErrors, ...rest } = opts;
      const w = new Worker<D, R>(name, processor, { connection: ctx.url, prefix: ctx.prefix, logger: quietLogger, ...rest });
      if (!allowErrors) w.on('error', (err) => errors.push(err));
      open.push({ close: () => w.close({ timeoutMs: 2000 }) });
      return w;
    },
  };
  return ctx;
}
