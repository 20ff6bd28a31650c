// sluice/testing (docs/testing.md): the private redis-server, queues under unique prefixes with their
// cleanup, runUntilDrained and promoteAll, each against a real Redis.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import {
  createTestQueue,
  DrainTimeoutError,
  NoRedisServerError,
  promoteAll,
  runUntilDrained,
  startRedis,
  uniquePrefix,
  type TestQueue,
  type TestRedis,
} from '../../src/testing/index.js';
import { quietLogger } from '../helpers/setup.js';

const HOUR = 3_600_000;

describe('startRedis', () => {
  it('starts a private server with no persistence and no eviction, and stop() removes it', async () => {
    const redis = await startRedis({ url: null });
    expect(redis.owned).toBe(true);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    client.on('error', () => undefined);
    try {
      await client.connect();
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
      const [, dir] = (await client.config('GET', 'dir')) as [string, string];
      expect(existsSync(dir)).toBe(true);
      await redis.stop();
      await redis.stop(); // idempotent
      expect(existsSync(dir)).toBe(false);
      await expect(client.ping()).rejects.toThrow();
    } finally {
      client.disconnect();
    }
  });

  it('kill() and restart() keep the port, and a persistent server its data', async () => {
    const redis = await startRedis({ url: null, persistent: true });
    const client = new Redis(redis.url, { lazyConnect: true });
    client.on('error', () => undefined);
    try {
      await client.set('k', 'v');
      await redis.kill('SIGTERM');
      await redis.restart();
      expect(await client.get('k')).toBe('v');
    } finally {
      client.disconnect();
      await redis.stop();
    }
  });

  it('a given URL (REDIS_URL) is used as it is: never stopped, and cannot be killed', async () => {
    const redis = await startRedis({ url: 'redis://127.0.0.1:6390' });
    expect(redis).toMatchObject({ url: 'redis://127.0.0.1:6390', port: 6390, owned: false });
    await redis.stop();
    await expect(redis.kill()).rejects.toThrow(/given by URL/);
  });

  it('without REDIS_URL and redis-server, a typed error says how to get one', async () => {
    const err = await startRedis({ url: null, command: 'sluice-no-such-redis-server' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoRedisServerError);
    expect((err as NoRedisServerError).code).toBe('NO_REDIS_SERVER');
    expect((err as Error).message).toMatch(/REDIS_URL/);
  });
});

describe('test queues, runUntilDrained, promoteAll', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.stop();
  });
  const make = <D, R>(name: string): TestQueue<D, R> => createTestQueue<D, R>(name, { connection: redis.url, logger: quietLogger });
  const quiet = { logger: quietLogger };

  it('each queue gets its own prefix, and cleanup() deletes every key it made', async () => {
    expect(uniquePrefix()).not.toBe(uniquePrefix());
    expect(uniquePrefix('orders')).toMatch(/^orders-[0-9a-f]{8}$/);
    const a = make<number, number>('same');
    const b = make<number, number>('same');
    expect(a.workerOptions.prefix).not.toBe(b.workerOptions.prefix);
    await a.add('x', 1);
    await a.add('later', 2, { delay: HOUR });
    await b.add('x', 3);
    await runUntilDrained(a, async (job) => job.data, { worker: quiet });
    expect((await b.getJobCounts()).waiting).toBe(1);
    const admin = new Redis(redis.url);
    try {
      const keysOf = (prefix: string) => admin.keys(`${prefix}:*`);
      expect((await keysOf(a.workerOptions.prefix)).length).toBeGreaterThan(0);
      await a.cleanup();
      await a.cleanup();
      expect(await keysOf(a.workerOptions.prefix)).toEqual([]);
      expect((await keysOf(b.workerOptions.prefix)).length).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
      await b.cleanup();
    }
  });

  it('runUntilDrained returns the results and failed attempts, and leaves work due later alone', async () => {
    const queue = make<number, number>('drain');
    try {
      for (let i = 1; i <= 20; i++) await queue.add('square', i);
      await queue.add('bad', -1);
      await queue.add('tomorrow', 99, { delay: 24 * HOUR });
      const run = await runUntilDrained(
        queue,
        async (job) => {
          if (job.data < 0) throw new Error('negative');
          return job.data * job.data;
        },
        { worker: { ...quiet, concurrency: 4 } },
      );
      expect(run.completed.map((c) => c.result).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) ** 2));
      expect(run.failed.map((f) => [f.job?.name, f.error.message, f.willRetry])).toEqual([['bad', 'negative', false]]);
      expect(run.errors).toEqual([]);
      expect(run.counts).toMatchObject({ waiting: 0, active: 0, delayed: 1, completed: 20, failed: 1 });
      expect(await queue.isDrained()).toBe(true);
    } finally {
      await queue.cleanup();
    }
  });

  it('an empty queue is drained at once', async () => {
    const queue = make('empty');
    try {
      const run = await runUntilDrained(queue, async () => 'never', { worker: quiet, timeoutMs: 5_000 });
      expect(run.completed).toEqual([]);
    } finally {
      await queue.cleanup();
    }
  });

  it('promote: true runs delayed jobs and retries now, backoffs included', async () => {
    const queue = make<string, string>('promote');
    try {
      await queue.add('flaky', 'f', { attempts: 3, backoff: { type: 'exponential', delay: HOUR } });
      await queue.add('later', 'l', { delay: HOUR });
      let calls = 0;
      const run = await runUntilDrained(
        queue,
        async (job) => {
          if (job.name === 'flaky' && ++calls < 3) throw new Error(`attempt ${calls}`);
          return job.data;
        },
        { promote: true, worker: quiet },
      );
      expect(run.completed.map((c) => c.result).sort()).toEqual(['f', 'l']);
      expect(run.failed.map((f) => f.willRetry)).toEqual([true, true]);
      expect(run.counts).toMatchObject({ delayed: 0, completed: 2, failed: 0 });
    } finally {
      await queue.cleanup();
    }
  });

  it('a queue that cannot drain (paused) rejects with DrainTimeoutError, and the worker is closed', async () => {
    const queue = make('stuck');
    try {
      await queue.add('x', 1);
      await queue.pause();
      const err = await runUntilDrained(queue, async () => 1, { worker: quiet, timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DrainTimeoutError);
      expect((err as DrainTimeoutError).result.counts).toMatchObject({ waiting: 1, paused: true });
      expect((err as Error).message).toMatch(/not drained within 2000 ms/);
    } finally {
      await queue.cleanup();
    }
  });

  it('promoteAll runs delayed jobs and the retries of every group; a group is run by name', async () => {
    const queue = make<string, string>('fan');
    try {
      await queue.createGroup('billing');
      await queue.createGroup('email');
      await queue.add('order', 'o', { delay: HOUR, attempts: 2, backoff: { type: 'fixed', delay: HOUR } });
      expect(await promoteAll(queue)).toBe(1);
      let billed = 0;
      const billing = await runUntilDrained(
        queue,
        async () => {
          if (++billed === 1) throw new Error('billing down');
          return 'billed';
        },
        { group: 'billing', worker: quiet },
      );
      expect(billing.completed).toEqual([]);
      expect((await queue.getJobCounts({ group: 'billing' })).delayed).toBe(1);
      const email = await runUntilDrained(queue, async () => 'sent', { group: 'email', worker: quiet });
      expect(email.completed.map((c) => c.result)).toEqual(['sent']);
      expect(await promoteAll(queue)).toBe(1);
      const again = await runUntilDrained(queue, async () => 'billed', { group: 'billing', worker: quiet });
      expect(again.completed.map((c) => c.result)).toEqual(['billed']);
    } finally {
      await queue.cleanup();
    }
  });
});
