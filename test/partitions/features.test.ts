// What a user does with any queue, on a partitioned one (docs/partitions.md, "What works on a
// partitioned queue"): priorities hold among the jobs of each partition, fan-out groups each get
// every job of every partition, a delayed job is run on time by an idle partitioned worker, and a
// scheduler fires each slot once however many workers consume the partitions.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { partitionKeys, partitionOfGeneratedId } from '../../src/partitions/layout.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const t = useRedis();
const N = 3;

describe('partitioned queue: what works on any queue', () => {
  it('priorities: within each partition the higher priority runs first', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue<number>('orders', { partitions: N, prefix });
    // 24 distinct priorities in scrambled order, spread round robin over the partitions
    const jobs = await queue.addBulk(
      Array.from({ length: 24 }, (_, i) => ({ name: 'p', data: i, opts: { priority: ((i * 7) % 24) + 1 } })),
    );
    const partitionOf = new Map(jobs.map((j) => [j.id, partitionOfGeneratedId(j.id, N)!]));
    expect(new Set(partitionOf.values()).size).toBe(N);
    const ran: Job<number>[] = [];
    t.worker<number>('orders', async (job) => void ran.push(job), { partitions: N, concurrency: 1, prefetch: 0 });
    await waitFor(() => ran.length === 24, 10_000, 'every job');
    for (let p = 0; p < N; p++) {
      const order = ran.filter((j) => partitionOf.get(j.id) === p).map((j) => j.opts.priority!);
      expect(order.length).toBe(8);
      expect(order, `partition ${p}`).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it('fan-out: every group gets every job of every partition, once', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue<number>('orders', { partitions: N, prefix });
    const groups = ['billing', 'email'];
    for (const g of groups) expect(await queue.createGroup(g)).toBe(true);
    const seen = new Map<string, string[]>(groups.map((g) => [g, []]));
    // two workers per group: they compete within their group
    for (const g of groups)
      for (let w = 0; w < 2; w++) t.worker<number>('orders', async (job) => void seen.get(g)!.push(job.id), { partitions: N, group: g });
    const jobs = await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'order', data: i })));
    jobs.push(await queue.add('own', 30, { jobId: 'order-30' }));
    jobs.push(await queue.add('later', 31, { delay: 100 }));
    jobs.push(await queue.add('urgent', 32, { priority: 1 }));
    const ids = jobs.map((j) => j.id).sort();
    for (const g of groups) {
      await waitFor(() => seen.get(g)!.length >= ids.length, 10_000, `group ${g} done`);
      expect([...seen.get(g)!].sort(), g).toEqual(ids);
      await waitFor(async () => (await queue.getJobCounts({ group: g })).completed === ids.length, 5000, `group ${g} acks`);
    }
  });

  it('a delayed job in each partition is run on time by an idle worker', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue<number>('orders', { partitions: N, prefix });
    const ran: Job<number>[] = [];
    // blocking for 10 s: a loop that did not hold its partition's due time would run the job seconds late
    const worker = t.worker<number>('orders', async (job) => void ran.push(job), { partitions: N, blockMs: 10_000 });
    await worker.waitUntilReady();
    await queue.add('warm-up', -1);
    await waitFor(() => ran.length === 1, 5000, 'the warm-up job');
    const delay = 600;
    const jobs = await queue.addBulk(Array.from({ length: N }, (_, i) => ({ name: 'due', data: i, opts: { delay } })));
    expect(new Set(jobs.map((j) => partitionOfGeneratedId(j.id, N))).size).toBe(N);
    const keys = partitionKeys(prefix, 'orders', N);
    const dues = new Map<string, number>();
    for (const j of jobs) dues.set(j.id, Number(await t.admin.hget(keys[partitionOfGeneratedId(j.id, N)!]!.job(j.id), 'du')));
    await waitFor(() => ran.length === 1 + N, 10_000, 'the delayed jobs');
    for (const job of ran.slice(1)) {
      // Redis time both: the lease's and the due time written by the add
      const lateness = job.processedOn! - dues.get(job.id)!;
      expect(lateness, job.id).toBeGreaterThanOrEqual(0);
      expect(lateness, job.id).toBeLessThan(1500);
    }
  });

  it('a scheduler fires each slot once, none skipped, with three workers consuming every partition', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('orders', { partitions: N, prefix });
    await queue.waitUntilReady();
    const runs = new Map<string, number>();
    for (let w = 0; w < 3; w++) {
      t.worker('orders', async (job) => void runs.set(job.id, (runs.get(job.id) ?? 0) + 1), { partitions: N, concurrency: 2 });
    }
    const every = 500;
    await queue.upsertScheduler('tick', { every }, { name: 'tick', data: {} });
    await waitFor(() => runs.size >= 4, 10_000, 'four slots');
    await queue.removeScheduler('tick');
    await waitFor(
      async () => {
        const counts = await queue.getJobCounts();
        return counts.waiting + counts.active + counts.delayed === 0;
      },
      5000,
      'the last fired job done',
    );
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    const slots = [...runs.keys()].map((id) => Number(/^repeat:tick:(\d+)$/.exec(id)![1])).sort((a, b) => a - b);
    for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(every);
  });
});
