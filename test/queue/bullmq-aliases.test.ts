// BullMQ's names (bullmq-aliases.ts) do what sluice's own methods do, on a real Redis:
// removeJobScheduler, getJobSchedulersCount, count, and Job.extendLock with BullMQ's 1/0 result.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitForEvent } from '../helpers/wait.js';

describe('BullMQ-compatible aliases', () => {
  const t = useRedis();

  it('removeJobScheduler removes a scheduler as removeScheduler does; getJobSchedulersCount counts them', async () => {
    const queue = t.queue('aliases-sched');
    expect(await queue.getJobSchedulersCount()).toBe(0);
    await queue.upsertScheduler('nightly', { pattern: '0 3 * * *', tz: 'Europe/Berlin' }, { name: 'report' });
    await queue.upsertScheduler('heartbeat', { every: 60_000 }, { name: 'ping' });
    expect(await queue.getJobSchedulersCount()).toBe(2);
    expect(await queue.removeJobScheduler('nightly')).toBe(true);
    expect(await queue.getScheduler('nightly')).toBeUndefined();
    expect(await queue.removeJobScheduler('nightly')).toBe(false);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    expect((await queue.getSchedulers()).map((s) => s.key)).toEqual(['heartbeat']);
  });

  it('count is the jobs still to run (waiting, prioritised and delayed), per group', async () => {
    const queue = t.queue('aliases-count');
    expect(await queue.count()).toBe(0);
    await queue.add('a', 1);
    await queue.add('b', 2, { priority: 3 });
    await queue.add('c', 3, { delay: 3_600_000 });
    await queue.add('d', 4, { jobId: 'order-4' });
    const counts = await queue.getJobCounts();
    expect(await queue.count()).toBe(4);
    expect(counts.waiting + counts.delayed).toBe(4);
    // another group's count is its own (getJobCounts' figures for it)
    await queue.createGroup('audit');
    await queue.add('e', 5);
    const audit = await queue.getJobCounts({ group: 'audit' });
    expect(await queue.count({ group: 'audit' })).toBe(audit.waiting + audit.delayed);
    expect(await queue.count()).toBe(5);
  });

  it('Job.extendLock extends the lease with the delivery token (1), and answers 0 for another token or a job not held', async () => {
    const queue = t.queue('aliases-lock');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: { right?: number; wrong?: number; deadline?: number; floor?: number } = {};
    const worker = t.worker<number, string>(
      'aliases-lock',
      async (job, { token }) => {
        seen.floor = Date.now() + 30_000;
        seen.right = await job.extendLock(token, 60_000);
        seen.deadline = Number(await t.admin.zscore(queue.keys.group('default').active, job.id));
        seen.wrong = await job.extendLock(`${token}-not-mine`, 60_000);
        await gate;
        return 'done';
      },
      { leaseMs: 1_000 },
    );
    const active = waitForEvent<[Job<number, string>]>(worker, 'active');
    const added = await queue.add('long', 1);
    const [job] = await active;
    expect(job.id).toBe(added.id);
    const finished = waitForEvent(worker, 'completed');
    // a job read from the queue holds no lease: nothing to extend
    const read = await queue.getJob(added.id);
    expect(await read!.extendLock('any-token', 60_000)).toBe(0);
    release();
    await finished;
    expect(seen.right).toBe(1);
    expect(seen.wrong).toBe(0);
    // the lease ran to 60 s from the call, not the worker's 1 s
    expect(seen.deadline).toBeGreaterThan(seen.floor!);
  });
});
