// Jobs due at the same moment run in the order they were scheduled: delayed jobs added
// together, retries due at the same time, and delayed prioritised jobs of one priority
// (Redis would otherwise order equal scores by member bytes: "10" before "9").
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts } from '../../src/redis/scripts.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('jobs due at the same time keep their order', () => {
  const t = useRedis();

  it('30 jobs added with one delay in one addBulk run in the order they were added', async () => {
    t.newPrefix();
    const queue = t.queue<number>('due-30');
    const jobs = await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'n', data: i, opts: { delay: 200 } })));
    // one script call: one due time for all of them
    const dues = await Promise.all(jobs.map((j) => t.admin.hget(queue.keys.job(j.id), 'du')));
    expect(new Set(dues).size).toBe(1);
    expect(await queue.getJobIds('delayed')).toEqual(jobs.map((j) => j.id));
    const ran: number[] = [];
    t.worker<number>('due-30', async (job) => void ran.push(job.data), { blockMs: 300 });
    await waitFor(() => ran.length === 30, 10_000, 'all 30 ran');
    expect(ran).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('2,000 jobs with one delay run in add order across promotion batches of 500', async () => {
    t.newPrefix();
    const queue = t.queue<number>('due-2000');
    const n = 2000;
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'n', data: i, opts: { delay: 400 } })));
    const ran: number[] = [];
    t.worker<number>('due-2000', async (job) => void ran.push(job.data), { blockMs: 300 });
    await waitFor(() => ran.length === n, 20_000, 'all 2,000 ran');
    expect(ran).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('5,000 jobs due at one ms (one script call) keep their order past the 2,048 steps of a ms', async () => {
    t.newPrefix();
    const queue = t.queue<number>('due-5000');
    const client = new Redis(t.url);
    try {
      registerScripts(client);
      const scripts = new Scripts(client, queue.keys);
      const n = 5000;
      const schedule = JSON.stringify({ delay: 300 });
      const { jobs } = await scripts.enqueue(
        Array.from({ length: n }, (_, i) => ({ id: '', name: 'n', data: String(i), opts: '{}', schedule })),
      );
      const ids = jobs.map((j) => j.id);
      // the delayed set holds them in add order (paged: at most 1,000 per call)
      const listed: string[] = [];
      for (let start = 0; start < n; start += 1000) listed.push(...(await queue.getJobIds('delayed', start, start + 999)));
      expect(listed).toEqual(ids);
      // 2,048 steps per ms: the last ones spilled two ms past their due time
      const due = Number(await t.admin.hget(queue.keys.job(ids[0]!), 'du'));
      expect(Math.floor(Number(await t.admin.zscore(queue.keys.delayed, ids[n - 1]!))) - due).toBe(2);
      const ran: number[] = [];
      t.worker<number>('due-5000', async (job) => void ran.push(job.data), { blockMs: 300 });
      await waitFor(() => ran.length === n, 30_000, 'all 5,000 ran');
      expect(ran).toEqual(Array.from({ length: n }, (_, i) => i));
    } finally {
      client.disconnect();
    }
  });

  it('retries due at the same time run in the order they were scheduled', async () => {
    t.newPrefix();
    const queue = t.queue<number>('due-retry');
    const n = 30;
    const first: number[] = [];
    const retried: number[] = [];
    const scheduled: number[] = [];
    const worker = t.worker<number>(
      'due-retry',
      async (job) => {
        if (job.attemptsMade === 0) {
          first.push(job.data);
          throw new Error('try again');
        }
        retried.push(job.data);
      },
      { concurrency: n, blockMs: 300 },
    );
    worker.on('failed', (job, _err, willRetry) => {
      if (job && willRetry) scheduled.push(job.data);
    });
    // own ids that sort backwards ("r-30" .. "r-01"): equal scores would run them reversed
    const opts = (i: number) => ({
      jobId: `r-${String(n - i).padStart(2, '0')}`,
      attempts: 2,
      backoff: { type: 'fixed' as const, delay: 300 },
    });
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'n', data: i, opts: opts(i) })));
    await waitFor(() => retried.length === n, 10_000, 'every job retried once');
    expect(scheduled).toHaveLength(n);
    expect(retried).toEqual(scheduled);
  });

  it('delayed prioritised jobs of one priority run in add order once promoted', async () => {
    t.newPrefix();
    const queue = t.queue<number>('due-prio');
    const n = 30;
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'n', data: i, opts: { delay: 200, priority: 5 } })));
    // the lowest priority too (2^21: its scores lie past 2^53, where doubles step by 2)
    // (own ids that sort backwards: equal scores would run them reversed)
    const lowest = (i: number) => ({ jobId: `low-${String(n - i).padStart(2, '0')}`, delay: 200, priority: 2_097_152 });
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'n', data: n + i, opts: lowest(i) })));
    const ran: number[] = [];
    t.worker<number>('due-prio', async (job) => void ran.push(job.data), { blockMs: 300 });
    await waitFor(() => ran.length === 2 * n, 10_000, 'all ran');
    expect(ran).toEqual(Array.from({ length: 2 * n }, (_, i) => i));
  });

  it('changeDelay to one due time keeps the order of the changes', async () => {
    t.newPrefix();
    const queue = t.queue<number>('due-change');
    const jobs = await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'n', data: i, opts: { delay: 60_000 } })));
    // reversed: the last added is changed first
    const reversed = [...jobs].reverse();
    // one script call per change: several land in the same ms, and keep the order of the changes
    for (const job of reversed) await job.changeDelay(150);
    expect(await queue.getJobIds('delayed')).toEqual(reversed.map((j) => j.id));
  });
});
