// The opt-in durable mode (`durability`): adds resolve only once replicas confirmed them (WAIT),
// else ReplicationTimeoutError, with the job written on the master. The file's Redis has no
// replica, so every WAIT falls short here; a replica that confirms is in test/redis/sentinel.test.ts,
// a failover in test/faults/sentinel.test.ts, and a Redis Cluster in test/cluster/durability.test.ts.
import { describe, expect, it } from 'vitest';
import { AddBulkError, InvalidOptionError, Queue, ReplicationTimeoutError, UnknownOptionError } from '../../src/index.js';
import { counted } from '../helpers/counting.js';
import { quietLogger, useRedis } from '../helpers/setup.js';

describe('durability', () => {
  const t = useRedis();

  it('refuses unknown keys and bad values', () => {
    const make = (durability: unknown, connection: unknown = t.url) =>
      // biome-ignore lint/suspicious/noExplicitAny: bad input on purpose
      new Queue('d', { connection: connection as any, logger: quietLogger, durability: durability as any });
    expect(() => make({ replicas: 1, timeout: 5 })).toThrow(UnknownOptionError);
    expect(() => make({ replicas: 0 })).toThrow(InvalidOptionError);
    expect(() => make({ timeoutMs: 100 })).toThrow(/durability.replicas is required/);
    expect(() => make({ replicas: 1, timeoutMs: 0 })).toThrow(InvalidOptionError);
    expect(() => make(5)).toThrow(InvalidOptionError);
  });

  it('add: ReplicationTimeoutError after timeoutMs when replicas do not confirm; the job is written, a retry is safe', async () => {
    const queue = t.queue<number>('unconfirmed', { durability: { replicas: 1, timeoutMs: 100 } });
    const started = Date.now();
    const err = await queue.add('a', 1, { jobId: 'one' }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(err).toBeInstanceOf(ReplicationTimeoutError);
    expect(err).toMatchObject({ code: 'REPLICATION_TIMEOUT', replicas: 1, acknowledged: 0, timeoutMs: 100 });
    expect((err as Error).message).toMatch(/IS applied on the master/);
    expect((await queue.getJob('one'))?.data).toBe(1);
    await expect(queue.add('a', 1, { jobId: 'one' })).rejects.toBeInstanceOf(ReplicationTimeoutError);
    expect((await queue.getJobCounts()).waiting).toBe(1);
  });

  it('one WAIT per enqueue round trip: adds of one tick share it', async () => {
    const queue = t.queue<number>('batched', { durability: { replicas: 1, timeoutMs: 50 } });
    await queue.waitUntilReady();
    const { value, calls } = await counted(t.admin, () =>
      Promise.allSettled(Array.from({ length: 10 }, (_, i) => queue.add('a', i, { jobId: `b${i}` }))),
    );
    expect(value.every((r) => r.status === 'rejected' && r.reason instanceof ReplicationTimeoutError)).toBe(true);
    expect(calls.wait).toBe(1);
    expect((await queue.getJobCounts()).waiting).toBe(10);
  });

  it('addBulk: unconfirmed chunks are reported as unknown (written, not confirmed)', async () => {
    const queue = t.queue<number>('bulk', { durability: { replicas: 1, timeoutMs: 50 } });
    const err = await queue.addBulk([1, 2, 3].map((i) => ({ name: 'a', data: i }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AddBulkError);
    expect(err).toMatchObject({ unknown: [0, 1, 2], notAdded: [] });
    expect((err as Error).cause).toBeInstanceOf(ReplicationTimeoutError);
    expect((await queue.getJobCounts()).waiting).toBe(3);
  });
});
