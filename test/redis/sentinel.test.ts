// Connecting through Redis Sentinel: ioredis sentinel options (or a client made with them) as
// the `connection` of Queue, Worker and QueueEvents. The failover itself is test/faults/sentinel.test.ts.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, ReplicationTimeoutError, Worker } from '../../src/index.js';
import { createClient, closeClient } from '../../src/redis/connection.js';
import { uniquePrefix } from '../helpers/redis.js';
import { quietLogger } from '../helpers/setup.js';
import { startSentinelSet, type TestSentinel } from '../helpers/sentinel.js';
import { waitForEvent } from '../helpers/wait.js';

describe('Sentinel connections', () => {
  let s: TestSentinel;
  beforeAll(async () => {
    s = await startSentinelSet();
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
  });

  it('worker and blocking roles keep the sentinel settings and get their own two', async () => {
    const user = new Redis({ ...s.connection, lazyConnect: true });
    try {
      for (const input of [s.connection, user]) {
        for (const role of ['worker', 'blocking'] as const) {
          const { client, owned } = createClient(input, role, 'sluice:test');
          expect(owned).toBe(true);
          expect(client.options.sentinels).toEqual(s.sentinels);
          expect(client.options.name).toBe(s.name);
          expect(client.options.maxRetriesPerRequest).toBeNull();
          expect(client.options.autoResendUnfulfilledCommands).toBe(false);
          // it reached the master through the sentinels
          expect(Number(await client.call('CONFIG', 'GET', 'port').then((r) => (r as string[])[1]))).toBe(await s.masterPort());
          await closeClient(client, owned);
        }
      }
    } finally {
      user.disconnect();
    }
  });

  it('Queue, Worker and QueueEvents run jobs through the sentinels (options and a client)', async () => {
    const user = new Redis(s.connection);
    try {
      for (const connection of [s.connection, user]) {
        const prefix = uniquePrefix();
        const queue = new Queue<number, number>('sq', { connection, prefix, logger: quietLogger });
        const events = new QueueEvents('sq', { connection, prefix, logger: quietLogger, blockMs: 500 });
        const worker = new Worker<number, number>('sq', async (job) => job.data * 2, {
          connection,
          prefix,
          logger: quietLogger,
          blockMs: 500,
        });
        try {
          await events.waitUntilReady();
          const done = waitForEvent(events, 'completed', 10_000);
          const job = await queue.add('double', 21);
          expect(await job.waitUntilFinished(events, 10_000)).toBe(42);
          await done;
          expect(await queue.getJobCounts()).toMatchObject({ completed: 1, waiting: 0, active: 0 });
        } finally {
          await worker.close({ timeoutMs: 2000 });
          await events.close();
          await queue.close();
        }
      }
    } finally {
      user.disconnect();
    }
  });

  it('durability: one replica confirms replicas 1; replicas 2 rejects with ReplicationTimeoutError after timeoutMs', async () => {
    const prefix = uniquePrefix();
    const one = new Queue<number>('dq', {
      connection: s.connection,
      prefix,
      logger: quietLogger,
      durability: { replicas: 1, timeoutMs: 2000 },
    });
    const two = new Queue<number>('dq', {
      connection: s.connection,
      prefix,
      logger: quietLogger,
      durability: { replicas: 2, timeoutMs: 300 },
    });
    try {
      expect((await one.add('a', 1, { jobId: 'x' })).id).toBe('x');
      await one.addBulk([{ name: 'b', data: 2 }]);
      const started = Date.now();
      const err = await two.add('a', 3, { jobId: 'y' }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(err).toBeInstanceOf(ReplicationTimeoutError);
      expect(err).toMatchObject({ code: 'REPLICATION_TIMEOUT', replicas: 2, acknowledged: 1, timeoutMs: 300 });
      expect((err as Error).message).toMatch(/the master "m" of 3 Sentinel/);
      expect((await one.getJob('y'))?.data).toBe(3);
    } finally {
      await one.close();
      await two.close();
    }
  });
});
