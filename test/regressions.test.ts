// Defects found in code review, each reproduced against real Redis so that it stays fixed.
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { InvalidIdError, Worker, type Job } from '../src/index.js';
import { quietLogger, useRedis } from './helpers/setup.js';
import { commandStats, gate } from './helpers/tools.js';
import { collectEvents, waitFor, waitForEvent } from './helpers/wait.js';

const scriptCalls = async (r: Redis) => {
  const s = await commandStats(r);
  return (s.evalsha ?? 0) + (s.eval ?? 0);
};

describe('review regressions', () => {
  const t = useRedis({ persistent: true });

  it('a busy worker holding a prefetched job does not poll an empty queue', async () => {
    const queue = t.queue<{ slow?: boolean }>('spin');
    const slow = gate();
    const started = gate();
    const worker = t.worker<{ slow?: boolean }>('spin', async (job) => {
      if (job.data.slow) {
        started.open();
        await slow.promise;
      }
    }, { concurrency: 1 });
    await queue.addBulk(Array.from({ length: 50 }, () => ({ name: 'fast', data: {} })));
    await collectEvents(worker, 'completed', 50);
    await queue.add('slow', { slow: true });
    await queue.add('after', {});
    await started.promise;
    await waitFor(() => worker.health().prefetched === 1 || worker.health().activeJobs === 1, 5000, 'one running');
    const before = await scriptCalls(t.admin);
    // a measurement window while the slow job runs (not a wait for work)
    await new Promise((r) => setTimeout(r, 500));
    const during = (await scriptCalls(t.admin)) - before;
    slow.open();
    await collectEvents(worker, 'completed', 2);
    expect(during).toBeLessThan(20);
  });

  it('at low load a job costs three script calls: add, lease, ack', async () => {
    t.newPrefix();
    const queue = t.queue('lone');
    const worker = t.worker('lone', async () => 1, { concurrency: 10 });
    await queue.add('warm-up', 0);
    await waitForEvent(worker, 'completed');
    const before = await scriptCalls(t.admin);
    for (let i = 0; i < 20; i++) {
      const done = waitForEvent(worker, 'completed');
      await queue.add('one', i);
      await done;
    }
    expect((await scriptCalls(t.admin)) - before).toBeLessThanOrEqual(3 * 20 + 2);
  });

  it('a debounce (dedup replace) of a job waiting out its retry does not run it twice', async () => {
    t.newPrefix();
    const queue = t.queue<number>('dedup-retry');
    const runs: number[] = [];
    const worker = t.worker<number>('dedup-retry', async (job) => {
      runs.push(job.data);
      if (runs.length === 1) throw new Error('first attempt fails');
      return job.data;
    });
    const opts = { attempts: 2, backoff: 400, deduplication: { id: 'd', replace: true } };
    await queue.add('job', 1, opts);
    await waitForEvent(worker, 'failed');
    await queue.add('job', 2, { ...opts, delay: 50 });
    await waitForEvent(worker, 'completed', 10_000);
    // one retry, one run: a second promotion of the same job would run it again
    await queue.add('probe', 0, { delay: 700 }); // completes after the stale retry would have fired
    await waitForEvent<[Job<number>]>(worker, 'completed', 10_000, (j) => j.name === 'probe');
    expect(runs).toEqual([1, 2, 0]);
  });

  it('a batch mixing removeOnComplete: true with kept jobs does not wipe the completed set', async () => {
    t.newPrefix();
    const queue = t.queue('trim');
    await queue.addBulk(Array.from({ length: 50 }, () => ({ name: 'kept', data: 1 })));
    const worker = t.worker('trim', async () => 1, { concurrency: 50 });
    await collectEvents(worker, 'completed', 50);
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'mixed', data: i, opts: i % 2 ? { removeOnComplete: true } : {} })));
    await collectEvents(worker, 'completed', 20);
    expect((await queue.getJobCounts()).completed).toBe(60);
  });

  it('a bad group name is refused with a typed error', () => {
    expect(() => new Worker('q', async () => null, { connection: t.url, group: 'a:b', logger: quietLogger })).toThrow(InvalidIdError);
  });

  it('extendLease shorter than the renewal interval is renewed in time (one delivery)', async () => {
    t.newPrefix();
    const queue = t.queue('short-lease');
    const deliveries: string[] = [];
    const opts = { leaseMs: 3000, blockMs: 200 };
    // two workers: if the short lease lapsed, the other one would get the job again
    const processor = (who: string) => async (job: Job) => {
      deliveries.push(who);
      await job.extendLease(300);
      await new Promise((r) => setTimeout(r, 1500));
    };
    t.worker('short-lease', processor('a'), opts);
    t.worker('short-lease', processor('b'), opts);
    await queue.add('long', 1);
    await waitFor(async () => (await queue.getJobCounts()).completed === 1, 10_000, 'the job completed');
    expect(deliveries).toHaveLength(1);
  });

  it('a wrong-type key planted for a delayed job is dead-lettered; the group keeps working', async () => {
    t.newPrefix();
    const queue = t.queue('poison');
    await t.admin.set(queue.keys.job('x'), 'not a hash');
    await t.admin.zadd(queue.keys.delayed, 0, 'x');
    const worker = t.worker('poison', async (job) => job.data);
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'ok', data: n })));
    await collectEvents(worker, 'completed', 3);
    expect(await queue.getJobIds('failed')).toContain('x');
    expect(await t.admin.get(queue.keys.job('x'))).toBe('not a hash');
  });

  it('obliterate also deletes schedulers', async () => {
    t.newPrefix();
    const queue = t.queue('obl-sched');
    await queue.upsertScheduler('tick', { every: 60_000 }, { name: 'tick' });
    await queue.obliterate();
    expect(await queue.getSchedulers()).toEqual([]);
    expect(await t.admin.keys(`${t.prefix}:*`)).toEqual([]);
  });

  it('removing a waiting job with its own id leaves counts and lists right, also after re-adding it', async () => {
    t.newPrefix();
    const queue = t.queue('own');
    await queue.add('a', 1, { jobId: 'own-1' });
    await queue.add('b', 2, { jobId: 'own-2' });
    await queue.remove('own-1');
    expect((await queue.getJobCounts()).waiting).toBe(1);
    await queue.remove('own-2');
    await queue.add('b', 3, { jobId: 'own-2' });
    expect(await queue.getJobIds('waiting')).toEqual(['own-2']);
    expect((await queue.getJobCounts()).waiting).toBe(1);
  });

  it('close() resolves when Redis is down, after its timeout and a grace', async () => {
    t.newPrefix();
    const worker = t.worker('down', async () => 1, { allowErrors: true, blockMs: 300, watchdogGraceMs: 300 });
    await waitFor(() => worker.health().state === 'running', 5000, 'running');
    await t.redis.stop('SIGKILL');
    try {
      await expect(Promise.race([worker.close({ timeoutMs: 200 }).then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 15_000))])).resolves.toBe('closed');
    } finally {
      await t.redis.start();
    }
  });
});
