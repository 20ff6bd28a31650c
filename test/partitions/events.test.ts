// QueueEvents over a partitioned queue on one Redis (docs/partitions.md): one reader per
// partition merged into one emitter, composite resume points, waitUntilFinished and call.
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidOptionError, PartitionsMismatchError, QueueEvents, type QueueEventsOptions } from '../../src/index.js';
import { partitionOfGeneratedId } from '../../src/partitions/layout.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { consumePartitions } from './consumer.js';

const t = useRedis();
beforeEach(() => {
  t.newPrefix();
});

function events(name: string, opts: Partial<QueueEventsOptions> = {}): QueueEvents {
  return t.track(new QueueEvents(name, { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs: 200, ...opts }));
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('partitioned QueueEvents', () => {
  it('merges every partition into one emitter; an event id is a composite resume point', async () => {
    const q = t.queue('orders', { partitions: 4 });
    await q.waitUntilReady();
    const reader = events('orders');
    await reader.waitUntilReady();
    const added: { jobId: string; eventId: string }[] = [];
    reader.on('added', ({ jobId }, eventId) => added.push({ jobId, eventId }));
    const jobs = await q.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'n', data: i })));
    await until(() => added.length === 8);
    expect(new Set(added.map((a) => a.jobId))).toEqual(new Set(jobs.map((j) => j.id)));
    expect(new Set(jobs.map((j) => partitionOfGeneratedId(j.id, 4))).size).toBe(4);
    for (const a of added) expect(a.eventId.split(',')).toHaveLength(4);
    expect(reader.lastEventId).toBe(added[7]!.eventId);

    // resuming after the 4th event delivers exactly the 4 after it
    const resumed = events('orders', { from: added[3]!.eventId });
    const again: string[] = [];
    resumed.on('added', ({ jobId }) => again.push(jobId));
    await until(() => again.length === 4);
    await new Promise((r) => setTimeout(r, 300));
    expect(again.sort()).toEqual(
      added
        .slice(4)
        .map((a) => a.jobId)
        .sort(),
    );
  });

  it('completed events, waitUntilFinished and call work across partitions', async () => {
    const q = t.queue<{ n: number }, number>('orders', { partitions: 3 });
    await q.waitUntilReady();
    const reader = events('orders', { partitions: 3 });
    await reader.waitUntilReady();
    const completed = new Map<string, unknown>();
    reader.on('completed', ({ jobId, returnvalue }) => completed.set(jobId, returnvalue));
    const consumer = consumePartitions(t.url, t.prefix, 'orders', 3, (job) => (job.data as { n: number }).n * 2);
    try {
      const jobs = await Promise.all(Array.from({ length: 6 }, (_, i) => q.add('double', { n: i })));
      const results = await Promise.all(jobs.map((j) => j.waitUntilFinished(reader, 5000)));
      expect(results).toEqual([0, 2, 4, 6, 8, 10]);
      await until(() => completed.size === 6);
      expect(completed.get(jobs[5]!.id)).toBe(10);
      // a job that finished before the wait started is not missed
      expect(await jobs[0]!.waitUntilFinished(reader, 1000)).toBe(0);
      expect(await q.call('double', { n: 21 }, { timeout: 5000 })).toBe(42);
      expect(await q.call('double', { n: 4 }, { timeout: 5000, opts: { orderingKey: 'k' } })).toBe(8);
    } finally {
      await consumer.stop();
    }
  });

  it('refuses another number of partitions, and a resume point of another shape', async () => {
    await t.queue('orders', { partitions: 2 }).waitUntilReady();
    await expect(events('orders', { partitions: 4 }).waitUntilReady()).rejects.toBeInstanceOf(PartitionsMismatchError);
    await expect(events('orders', { from: '1-0' }).waitUntilReady()).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(events('plain', { from: '1-0,2-0' }).waitUntilReady()).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => events('orders', { partitions: 0 })).toThrow(InvalidOptionError);
    // an unpartitioned queue's reader is as it was: one event id
    await t.queue('plain').add('a', 1);
    const plain = events('plain', { from: '0-0' });
    const seen: string[] = [];
    plain.on('added', (_, eventId) => seen.push(eventId));
    await until(() => seen.length === 1);
    expect(seen[0]).toMatch(/^\d+-\d+$/);
  });
});
