// Queue over a partitioned queue on one Redis (docs/partitions.md): the recorded number of
// partitions, routing of adds, lookups by id, merged counts and pages, admin on every
// partition, schedulers living (and firing) in one partition, and what is refused.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ClosedError,
  EvictionPolicyError,
  InvalidOptionError,
  JobNotFoundError,
  QueueFullError,
  PartitionsMismatchError,
} from '../../src/index.js';
import { partitionOfGeneratedId } from '../../src/partitions/layout.js';
import { partitionRefs } from '../../src/partitions/layout.js';
import { queueKeys } from '../../src/redis/keys.js';
import { useRedis } from '../helpers/setup.js';
import { consumePartitions } from './consumer.js';

const t = useRedis();
beforeEach(() => {
  t.newPrefix();
});

/** The keys of each partition of `queue`. */
function partKeys(queue: string, count: number) {
  return partitionRefs(queue, count).map((ref) => queueKeys(t.prefix, queue, ref));
}

/** The partition whose keys hold the job's record, or -1. */
async function whereIs(queue: string, count: number, id: string): Promise<number> {
  const keys = partKeys(queue, count);
  for (let p = 0; p < count; p++) if (await t.admin.exists(keys[p]!.job(id))) return p;
  return -1;
}

describe('partitioned Queue: the recorded number', () => {
  it('records N on first use; another N is refused; without the option the recorded N is used', async () => {
    const four = t.queue('orders', { partitions: 4 });
    await four.waitUntilReady();
    expect(await t.admin.hget(queueKeys(t.prefix, 'orders').meta, 'partitions')).toBe('4');
    const eight = t.queue('orders', { partitions: 8 });
    const err = await eight.waitUntilReady().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartitionsMismatchError);
    expect((err as PartitionsMismatchError).recorded).toBe(4);
    expect((err as Error).message).toContain('docs/partitions.md');
    // any method refuses, not only waitUntilReady
    await expect(t.queue('orders', { partitions: 2 }).getJobCounts()).rejects.toBeInstanceOf(PartitionsMismatchError);
    // an app that forgets the option routes as the record says
    const forgot = t.queue('orders');
    const job = await forgot.add('a', 1, { orderingKey: 'k' });
    expect(await whereIs('orders', 4, job.id)).toBe(partitionOfGeneratedId(job.id, 4));
    expect(await t.admin.exists(queueKeys(t.prefix, 'orders').stream)).toBe(0);
  });

  it('a queue that holds jobs added without partitions cannot be partitioned', async () => {
    await t.queue('plain').add('a', 1);
    const err = await t
      .queue('plain', { partitions: 4 })
      .add('b', 2)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartitionsMismatchError);
    expect((err as PartitionsMismatchError).recorded).toBe(1);
  });

  it('partitions: 1 is an ordinary queue (same keys); bad values are refused', async () => {
    const one = t.queue('single', { partitions: 1 });
    await one.add('a', 1);
    expect(await t.admin.xlen(queueKeys(t.prefix, 'single').stream)).toBe(1);
    expect(await t.admin.hget(queueKeys(t.prefix, 'single').meta, 'partitions')).toBeNull();
    for (const bad of [0, 257, 1.5, '4']) expect(() => t.queue('x', { partitions: bad as number })).toThrow(InvalidOptionError);
  });
});

describe('partitioned Queue: producers', () => {
  it('one ordering key goes to one partition; a job id is added once; the rest is spread evenly', async () => {
    const q = t.queue('orders', { partitions: 3 });
    const keyed = await Promise.all(Array.from({ length: 10 }, (_, i) => q.add('k', i, { orderingKey: 'customer-7' })));
    const parts = new Set(keyed.map((j) => partitionOfGeneratedId(j.id, 3)));
    expect(parts.size).toBe(1);
    const first = await q.add('once', 1, { jobId: 'order-1' });
    const again = await q.add('once', 2, { jobId: 'order-1' });
    expect(again.id).toBe(first.id);
    expect(again.data).toBe(1);
    const plain = await q.addBulk(Array.from({ length: 300 }, (_, i) => ({ name: 'p', data: i })));
    expect(plain.map((j) => j.data)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const sizes = await Promise.all(partKeys('orders', 3).map((k) => t.admin.xlen(k.stream)));
    for (const n of sizes) expect(n).toBeGreaterThanOrEqual(90);
    expect(plain.every((j) => j.queueName === 'orders')).toBe(true);
    expect((await q.getJobCounts()).waiting).toBe(10 + 1 + 300);
  });

  it('addBulk routes like add and returns the jobs in input order', async () => {
    const q = t.queue('orders', { partitions: 4 });
    const jobs = await q.addBulk([
      { name: 'a', data: 0, opts: { jobId: 'u-1' } },
      { name: 'b', data: 1, opts: { orderingKey: 'k1' } },
      { name: 'c', data: 2 },
      { name: 'd', data: 3, opts: { delay: 60_000 } },
      { name: 'e', data: 4, opts: { jobId: 'u-1' } },
    ]);
    // as on a single queue, a job of the call whose id exists is handed back as given
    expect(jobs.map((j) => j.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await whereIs('orders', 4, 'u-1')).toBeGreaterThanOrEqual(0);
    await expect(
      q.addBulk([
        { name: 'ok', data: 1 },
        { name: 'bad', data: 2, opts: { attempts: -1 } },
      ]),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    expect((await q.getJobCounts()).waiting + (await q.getJobCounts()).delayed).toBe(4);
  });
});

describe('partitioned Queue: reads', () => {
  it('getJob finds generated ids, user ids, and a user id routed by its ordering key', async () => {
    const q = t.queue('orders', { partitions: 4 });
    const plain = await q.add('plain', 1);
    const delayed = await q.add('delayed', 2, { delay: 60_000 });
    const mine = await q.add('mine', 3, { jobId: 'user-id-1' });
    const keyed = await q.add('keyed', 4, { jobId: 'user-id-2', orderingKey: 'k' });
    for (const job of [plain, delayed, mine, keyed]) {
      const found = await q.getJob(job.id);
      expect(found?.name, job.name).toBe(job.name);
      expect(found?.queueName).toBe('orders');
    }
    expect(await q.getJob('nope')).toBeUndefined();
    expect(await q.getJob('123456-0')).toBeUndefined();
    await q.remove('user-id-2');
    expect(await q.getJob('user-id-2')).toBeUndefined();
    await expect(q.remove('user-id-2')).rejects.toBeInstanceOf(JobNotFoundError);
    // a job read back acts on its own partition
    const job = await q.getJob(delayed.id);
    await job!.promote();
    expect((await q.getJobCounts()).delayed).toBe(0);
  });

  it('counts are summed; getJobs and getJobsPage merge the partitions in the queue order', async () => {
    const q = t.queue('orders', { partitions: 3 });
    for (let i = 0; i < 12; i++) await q.add('w', i);
    for (let i = 0; i < 5; i++) await q.add('d', i, { delay: 60_000 + (5 - i) * 1000 });
    const counts = await q.getJobCounts();
    expect(counts).toMatchObject({ waiting: 12, delayed: 5, active: 0, completed: 0, failed: 0, paused: false });
    expect(await q.count()).toBe(17);
    // by when they were added (a partition's ids, and so its plain jobs' times, may be N-1 ms ahead)
    const waiting = await q.getJobs('waiting');
    expect(waiting.map((j) => j.data).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 12 }, (_, i) => i));
    for (let i = 1; i < waiting.length; i++) expect(waiting[i]!.timestamp).toBeGreaterThanOrEqual(waiting[i - 1]!.timestamp);
    expect((await q.getJobs('waiting', 3, 5)).map((j) => j.id)).toEqual(waiting.slice(3, 6).map((j) => j.id));
    expect(await q.getJobIds('waiting', 0, 1)).toEqual(waiting.slice(0, 2).map((j) => j.id));
    expect((await q.getJobs('delayed')).map((j) => j.data)).toEqual([4, 3, 2, 1, 0]);
    await expect(q.getJobs('waiting', 990, 1020)).rejects.toBeInstanceOf(InvalidOptionError);
    const seen: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await q.getJobsPage('waiting', { count: 5, ...(cursor ? { cursor } : {}) });
      expect(page.jobs.length).toBeLessThanOrEqual(5);
      seen.push(...page.jobs.map((j) => j.data));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(seen).toEqual(waiting.map((j) => j.data));
    await expect(q.getJobsPage('waiting', { cursor: 'w:0' })).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('partitioned Queue: admin', () => {
  it('pause and resume reach every partition', async () => {
    const q = t.queue('orders', { partitions: 4 });
    await q.pause();
    for (const keys of partKeys('orders', 4)) expect(await t.admin.exists(keys.group('default').paused)).toBe(1);
    expect(await q.isPaused()).toBe(true);
    expect((await q.getJobCounts()).paused).toBe(true);
    await q.resume();
    for (const keys of partKeys('orders', 4)) expect(await t.admin.exists(keys.group('default').paused)).toBe(0);
    expect(await q.isPaused()).toBe(false);
  });

  it('drain, promoteJobs, retryJobs and obliterate act on every partition and sum', async () => {
    const q = t.queue('orders', { partitions: 3 });
    await q.addBulk(Array.from({ length: 9 }, (_, i) => ({ name: 'd', data: i, opts: { delay: 60_000 } })));
    expect(await q.promoteJobs({ count: 4 })).toBe(4);
    expect(await q.promoteJobs()).toBe(5);
    expect(await q.drain()).toBe(9);
    await q.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'w', data: i })));
    const consumer = consumePartitions(t.url, t.prefix, 'orders', 3);
    await until(async () => (await q.getJobCounts()).completed === 6);
    await consumer.stop();
    expect(await q.retryJobs({ state: 'completed' })).toBe(6);
    expect(await q.clean(0, 0, 'completed')).toEqual([]);
    await q.obliterate();
    expect(await q.getJobCounts()).toMatchObject({ waiting: 0, completed: 0, delayed: 0 });
  });

  it('groups are created, listed once (merged) and removed in every partition', async () => {
    const q = t.queue('orders', { partitions: 3 });
    expect(await q.createGroup('billing')).toBe(true);
    expect(await q.createGroup('billing')).toBe(false);
    await q.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'w', data: i })));
    const groups = await q.getGroups();
    // as on a single queue, the implicit default group holding no job leaves with the first group
    expect(groups.map((g) => g.name)).toEqual(['billing']);
    expect(groups.find((g) => g.name === 'billing')!.waiting).toBe(6);
    expect((await q.getJobCounts({ group: 'billing' })).waiting).toBe(6);
    await q.removeGroup('billing');
    expect((await q.getGroups()).map((g) => g.name)).not.toContain('billing');
  });

  it("setRateLimit holds for the whole queue: kept in the queue's own meta, obeyed by a partitioned worker", async () => {
    const q = t.queue('orders', { partitions: 3 });
    await q.setRateLimit({ max: 5, duration: 300 });
    expect(await q.getRateLimit()).toEqual({ max: 5, duration: 300 });
    // in the queue's own meta only: no partition limits itself (src/partitions/rate-gate.ts)
    expect(await t.admin.hget(`${t.prefix}:{orders}:meta`, 'limit:default')).toBe('5:300');
    // each partition only knows that the queue has one: its leases need reserved starts
    for (const k of partKeys('orders', 3)) {
      expect(await t.admin.hget(k.meta, 'limit:default')).toBeNull();
      expect(await t.admin.hget(k.meta, 'queueLimit:default')).toBe('1');
    }
    await q.addBulk(Array.from({ length: 15 }, (_, i) => ({ name: 'r', data: i })));
    const starts: number[] = [];
    t.worker('orders', async (job) => {
      starts.push(job.processedOn!);
    });
    await until(() => starts.length === 15);
    // 15 starts at 5 per 300 ms take three windows
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual(550);
    await q.setRateLimit(null);
    expect(await q.getRateLimit()).toBeUndefined();
    for (const k of partKeys('orders', 3)) expect(await t.admin.hget(k.meta, 'queueLimit:default')).toBeNull();
  });

  it('maxLength: each partition holds its share; a full addBulk names the jobs added and not added by input index', async () => {
    const q = t.queue<number>('orders', { partitions: 2, maxLength: 10 });
    const err = await q.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'b', data: i }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    const full = err as QueueFullError;
    // round robin: 5 jobs fit in each partition's share
    expect(full.added).toHaveLength(10);
    expect(full.notAdded).toHaveLength(20);
    const added = full.added.map((job) => job.data);
    expect([...added, ...full.notAdded].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect((await q.getJobCounts()).waiting).toBe(10);
    await expect(q.add('one-more', 99)).rejects.toBeInstanceOf(QueueFullError);
  });
});

describe('partitioned Queue: readiness', () => {
  it("evictionPolicy 'refuse' refuses writes through every partition; a closed queue rejects with ClosedError", async () => {
    await t.queue('orders', { partitions: 3 }).waitUntilReady();
    await t.admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    try {
      const q = t.queue('orders', { evictionPolicy: 'refuse' });
      for (const key of ['a', 'b', 'c', 'd']) await expect(q.add('x', 1, { jobId: key })).rejects.toBeInstanceOf(EvictionPolicyError);
    } finally {
      await t.admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
    const q = t.queue('orders');
    await q.add('x', 1);
    await q.close();
    await expect(q.add('x', 2)).rejects.toBeInstanceOf(ClosedError);
    await expect(q.getJobCounts()).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('partitioned Queue: schedulers', () => {
  it('a scheduler lives in the partition its key hashes to, is listed once, and fires each slot once', async () => {
    const q = t.queue('orders', { partitions: 4 });
    await q.upsertScheduler('tick', { every: 150 }, { name: 'tick', data: {} });
    const holders = await Promise.all(partKeys('orders', 4).map((k) => t.admin.zcard(k.schedulers)));
    expect(holders.filter((n) => n === 1)).toHaveLength(1);
    expect((await q.getSchedulers()).map((s) => s.key)).toEqual(['tick']);
    expect((await q.getScheduler('tick'))?.key).toBe('tick');
    expect(await q.getJobSchedulersCount()).toBe(1);
    const consumer = consumePartitions(t.url, t.prefix, 'orders', 4);
    await until(() => consumer.done.length >= 4);
    await q.removeScheduler('tick');
    await consumer.stop();
    const ids = consumer.done.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await q.getJob(ids[0]!)).toBeDefined();
    expect(await q.getSchedulers()).toEqual([]);
  });
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
