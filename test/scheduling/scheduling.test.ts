// Scheduling (README "Scheduling"): delays and their changes, deadlines to start, priorities,
// LIFO, deduplication, and 100k jobs due at once promoted in bounded batches.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, JobNotFoundError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

describe('scheduling', () => {
  const t = useRedis();

  it('a delayed job runs after its delay (Redis time); changeDelay and promote move it', async () => {
    const queue = t.queue('delay');
    const late = await queue.add('late', 1, { delay: 60_000 });
    const soon = await queue.add('soon', 2, { delay: 60_000 });
    const small = await queue.add('small', 3, { delay: 150 });
    expect(await late.getState()).toBe('delayed');
    expect((await queue.getJobCounts()).delayed).toBe(3);
    const worker = t.worker('delay', async (job) => job.data);
    const [first] = await waitForEvent<[Job]>(worker, 'completed');
    expect(first.id).toBe(small.id);
    expect(first.processedOn! - first.timestamp).toBeGreaterThanOrEqual(150);
    await soon.promote();
    const [second] = await waitForEvent<[Job]>(worker, 'completed');
    expect(second.id).toBe(soon.id);
    await late.changeDelay(100);
    const [third] = await waitForEvent<[Job]>(worker, 'completed');
    expect(third.id).toBe(late.id);
    await expect(third.changeDelay(10)).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('ttl / startBy: a job not started in time fails as expired; one started in time runs', async () => {
    t.newPrefix();
    const queue = t.queue('ttl');
    const expired = await queue.add('too-late', 1, { delay: 100, ttl: 1 });
    const past = await queue.add('past', 2, { startBy: new Date(Date.now() - 60_000) });
    const fine = await queue.add('fine', 3, { ttl: 60_000 });
    const worker = t.worker('ttl', async (job) => job.data);
    const failed: string[] = [];
    worker.on('failed', (_job, err) => failed.push(err.message));
    const [done] = await waitForEvent<[Job]>(worker, 'completed');
    expect(done.id).toBe(fine.id);
    await waitFor(async () => (await queue.getJobCounts()).failed === 2, 10_000, 'two expired jobs');
    for (const id of [expired.id, past.id]) {
      const job = await queue.getJob(id);
      expect(await job!.getState()).toBe('failed');
      expect(job!.failedReason).toMatch(/^expired/);
      expect(job!.deliveries).toBe(0);
    }
    expect(failed.every((m) => m.includes('expired'))).toBe(true);
  });

  it('priorities: plain jobs first, then strictly by level, FIFO within a level; lifo jumps the line', async () => {
    t.newPrefix();
    const queue = t.queue<string>('prio');
    await queue.add('p5-a', 'p5-a', { priority: 5 });
    await queue.add('plain-1', 'plain-1');
    await queue.add('p1-a', 'p1-a', { priority: 1 });
    await queue.add('p5-b', 'p5-b', { priority: 5 });
    await queue.add('p1-b', 'p1-b', { priority: 1 });
    await queue.add('plain-2', 'plain-2');
    await queue.add('last-in', 'last-in', { lifo: true });
    expect((await queue.getJobs('waiting')).map((j) => j.data)).toEqual(['last-in', 'plain-1', 'plain-2', 'p1-a', 'p1-b', 'p5-a', 'p5-b']);
    const worker = t.worker<string>('prio', async (job) => job.data, { concurrency: 1, prefetch: 0 });
    const done = await collectEvents<Job<string>>(worker, 'completed', 7);
    expect(done.map((j) => j.data)).toEqual(['last-in', 'plain-1', 'plain-2', 'p1-a', 'p1-b', 'p5-a', 'p5-b']);
    await expect(queue.add('x', 'x', { lifo: true, priority: 1 })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('deduplication: adds are ignored while the holder exists, released when it finishes', async () => {
    t.newPrefix();
    const queue = t.queue<number>('dedup');
    const first = await queue.add('sync', 1, { deduplication: { id: 'customer-7' } });
    const again = await queue.add('sync', 2, { deduplication: { id: 'customer-7' } });
    expect(again.id).toBe(first.id);
    expect(again.data).toBe(1);
    expect(await queue.getDeduplicationJobId('customer-7')).toBe(first.id);
    expect((await queue.getJobCounts()).waiting).toBe(1);
    const worker = t.worker<number>('dedup', async (job) => job.data);
    await waitForEvent(worker, 'completed');
    expect(await queue.getDeduplicationJobId('customer-7')).toBeUndefined();
    const fresh = await queue.add('sync', 3, { deduplication: { id: 'customer-7' } });
    expect(fresh.id).not.toBe(first.id);
    const [done] = await waitForEvent<[Job<number>]>(worker, 'completed');
    expect(done.data).toBe(3);
    // with a ttl the id stays taken for the ttl, even after the job finished
    const timed = await queue.add('sync', 4, { deduplication: { id: 'window', ttl: 60_000 } });
    await waitForEvent(worker, 'completed');
    expect((await queue.add('sync', 5, { deduplication: { id: 'window', ttl: 60_000 } })).id).toBe(timed.id);
  });

  it('deduplication with replace debounces: the pending job takes the newest data and restarts its delay', async () => {
    t.newPrefix();
    const queue = t.queue<string>('debounce');
    const opts = { delay: 300, deduplication: { id: 'search-box', replace: true } };
    const first = await queue.add('search', 's', opts);
    const second = await queue.add('search', 'se', opts);
    const third = await queue.add('search', 'sea', opts);
    expect(new Set([first.id, second.id, third.id]).size).toBe(1);
    expect(third.data).toBe('sea');
    const worker = t.worker<string>('debounce', async (job) => job.data);
    const [done] = await waitForEvent<[Job<string>]>(worker, 'completed');
    expect(done.data).toBe('sea');
    expect((await queue.getJobCounts()).completed).toBe(1);
  });

  it('100k jobs due at the same moment are promoted in bounded batches', async () => {
    t.newPrefix();
    const queue = t.queue('burst', { defaultJobOptions: { removeOnComplete: true } });
    const batch = Array.from({ length: 1000 }, (_, i) => ({ name: 'due', data: i, opts: { delay: 1 } }));
    for (let n = 0; n < 100_000; n += 1000) await queue.addBulk(batch);
    // promoting 100k jobs in one call takes far longer; a bounded batch a few ms (loose for CI)
    await t.admin.config('SET', 'slowlog-log-slower-than', '150000');
    await t.admin.slowlog('RESET');
    let done = 0;
    const worker = t.worker('burst', async () => undefined, { concurrency: 100 });
    worker.on('completed', () => done++);
    await waitFor(() => done === 100_000, 120_000, '100k delayed jobs processed');
    const slow = (await t.admin.slowlog('GET', 20)) as unknown[][];
    expect(slow.map((e) => [Number(e[2]), (e[3] as string[])[0]])).toEqual([]);
    expect(await queue.getJobCounts()).toMatchObject({ delayed: 0, waiting: 0, active: 0 });
  }, 180_000);
});
