// Retries, backoff, dead-lettering and retention of finished jobs.
import { describe, expect, it } from 'vitest';
import { UnrecoverableError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { useRawClients } from '../helpers/tools.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

type Failed = [Job | undefined, Error, boolean];

describe('retries and backoff', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('retries with a fixed backoff: fails twice, succeeds on the third attempt', async () => {
    t.newPrefix();
    const queue = t.queue('fixed');
    const job = await queue.add('flaky', { x: 1 }, { attempts: 3, backoff: { type: 'fixed', delay: 50 } });
    const starts: number[] = [];
    const failures: Failed[] = [];
    const worker = t.worker('fixed', async () => {
      starts.push(Date.now());
      if (starts.length < 3) throw new Error(`boom ${starts.length}`);
      return 'ok';
    });
    worker.on('failed', (...args: Failed) => failures.push(args));
    const [done] = await waitForEvent<[Job, unknown]>(worker, 'completed');
    expect(done.id).toBe(job.id);
    expect(failures).toHaveLength(2);
    expect(failures.map(([, err]) => err.message)).toEqual(['boom 1', 'boom 2']);
    expect(failures.map(([, , willRetry]) => willRetry)).toEqual([true, true]);
    expect(failures.map(([j]) => j?.attemptsMade)).toEqual([1, 2]);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(50);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    // attemptsMade counts failed attempts; deliveries counts every lease
    expect(stored?.attemptsMade).toBe(2);
    expect(stored?.deliveries).toBe(3);
    expect(stored?.returnvalue).toBe('ok');
  });

  it('exponential backoff: the gaps between attempts grow (lower bounds, jitter 0)', async () => {
    t.newPrefix();
    const queue = t.queue('expo');
    await queue.add('flaky', null, { attempts: 4, backoff: { type: 'exponential', delay: 100, jitter: 0 } });
    const starts: number[] = [];
    const worker = t.worker('expo', async () => {
      starts.push(Date.now());
      if (starts.length < 4) throw new Error('again');
      return 'done';
    });
    await waitForEvent(worker, 'completed');
    expect(starts).toHaveLength(4);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    // delay * 2^(attempt-1): 100, 200, 400
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
  });

  it('a custom backoff strategy registered on the worker decides the delay', async () => {
    t.newPrefix();
    const queue = t.queue<{ base: number }>('custom');
    await queue.add('flaky', { base: 120 }, { attempts: 3, backoff: { type: 'linear' } });
    const calls: { attemptsMade: number; message: string; data: unknown }[] = [];
    const starts: number[] = [];
    const worker = t.worker<{ base: number }>(
      'custom',
      async () => {
        starts.push(Date.now());
        if (starts.length < 3) throw new Error(`fail ${starts.length}`);
        return null;
      },
      {
        backoffStrategies: {
          linear: (attemptsMade, error, data) => {
            calls.push({ attemptsMade, message: error.message, data });
            return (data as { base: number }).base * attemptsMade;
          },
        },
      },
    );
    await waitForEvent(worker, 'completed');
    expect(calls).toEqual([
      { attemptsMade: 1, message: 'fail 1', data: { base: 120 } },
      { attemptsMade: 2, message: 'fail 2', data: { base: 120 } },
    ]);
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(120);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(240);
  });

  it('attempts exhausted: the job is failed with its reason and stack, listed and counted', async () => {
    t.newPrefix();
    const queue = t.queue('exhaust');
    const job = await queue.add('doomed', { n: 1 }, { attempts: 2 });
    const worker = t.worker('exhaust', async () => {
      throw new Error('always broken');
    });
    const failures = await collectEvents<Job | undefined>(worker, 'failed', 2);
    expect(failures.map((j) => j?.attemptsMade)).toEqual([1, 2]);
    await waitFor(async () => (await queue.getJob(job.id))?.finishedOn !== undefined, 5000, 'job finished');
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(2);
    expect(stored?.failedReason).toBe('always broken');
    expect(stored?.stacktrace.length).toBeGreaterThan(1);
    expect(stored?.stacktrace[0]).toContain('always broken');
    expect(stored?.stacktrace.join('\n')).toContain('retries.test.ts');
    expect((await queue.getJobs('failed')).map((j) => j.id)).toEqual([job.id]);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 0, failed: 1 });
  });

  it('the last failed event says willRetry false', async () => {
    t.newPrefix();
    const queue = t.queue('lastflag');
    await queue.add('doomed', null, { attempts: 2 });
    const worker = t.worker('lastflag', async () => {
      throw new Error('no');
    });
    const flags: boolean[] = [];
    worker.on('failed', (_j, _e, willRetry) => flags.push(willRetry));
    await waitFor(() => flags.length === 2, 5000, 'two failed events');
    expect(flags).toEqual([true, false]);
  });

  it('UnrecoverableError skips the remaining attempts', async () => {
    t.newPrefix();
    const queue = t.queue('unrec');
    const job = await queue.add('bad', null, { attempts: 5, backoff: 10 });
    let calls = 0;
    const worker = t.worker('unrec', async () => {
      calls++;
      throw new UnrecoverableError('card declined');
    });
    const [failedJob, err, willRetry] = await waitForEvent<Failed>(worker, 'failed');
    expect(willRetry).toBe(false);
    expect(err).toBeInstanceOf(UnrecoverableError);
    expect(failedJob?.id).toBe(job.id);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(1);
    expect(stored?.failedReason).toBe('card declined');
    expect(calls).toBe(1);
    expect((await queue.getJobCounts()).failed).toBe(1);
  });

  it('job.retry() redrives a failed job, which then completes', async () => {
    t.newPrefix();
    const queue = t.queue('redrive');
    const job = await queue.add('once-bad', null);
    let fail = true;
    const worker = t.worker('redrive', async () => {
      if (fail) throw new Error('first time');
      return 'second time';
    });
    await waitForEvent(worker, 'failed');
    await waitFor(async () => (await queue.getJobCounts()).failed === 1, 5000, 'job in failed set');
    const failed = (await queue.getJob(job.id))!;
    expect(failed.failedReason).toBe('first time');
    fail = false;
    const completed = waitForEvent<[Job, unknown]>(worker, 'completed');
    await failed.retry();
    const [done, result] = await completed;
    expect(done.id).toBe(job.id);
    expect(result).toBe('second time');
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.failedReason).toBeUndefined();
    expect(stored?.attemptsMade).toBe(0);
    expect(await queue.getJobCounts()).toMatchObject({ failed: 0, completed: 1 });
    // a job that is not failed cannot be retried as failed
    await expect(stored!.retry()).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });

  it('queue.retryJobs() redrives every failed job and they complete', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('redrive-all');
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'j', data: { i } })));
    let fail = true;
    const worker = t.worker<{ i: number }>(
      'redrive-all',
      async (j) => {
        if (fail) throw new Error('not yet');
        return j.data.i;
      },
      { concurrency: 4 },
    );
    await collectEvents(worker, 'failed', 20);
    await waitFor(async () => (await queue.getJobCounts()).failed === 20, 5000, '20 failed');
    fail = false;
    const completed = collectEvents(worker, 'completed', 20);
    expect(await queue.retryJobs()).toBe(20);
    await completed;
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: 20 });
  });

  it('removeOnComplete: true deletes the job record', async () => {
    t.newPrefix();
    const queue = t.queue('roc-true');
    const job = await queue.add('x', { big: 'data' }, { removeOnComplete: true });
    const worker = t.worker('roc-true', async (j) => {
      await j.log('a line');
      return 1;
    });
    await waitForEvent(worker, 'completed');
    const redis = raw();
    expect(await redis.exists(queue.keys.job(job.id), queue.keys.logs(job.id))).toBe(0);
    expect(await queue.getJob(job.id)).toBeUndefined();
    expect(await queue.getJobCounts()).toMatchObject({ completed: 0, active: 0, waiting: 0 });
  });

  it('removeOnComplete: 2 keeps only the newest two completed jobs', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('roc-2');
    const jobs = await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'x', data: { i }, opts: { removeOnComplete: 2 } })));
    const worker = t.worker<{ i: number }>('roc-2', async (j) => j.data.i);
    await collectEvents(worker, 'completed', 5);
    expect(await queue.getJobIds('completed')).toEqual([jobs[4]!.id, jobs[3]!.id]);
    const redis = raw();
    for (const j of jobs.slice(0, 3)) expect(await redis.exists(queue.keys.job(j.id))).toBe(0);
    for (const j of jobs.slice(3)) expect((await queue.getJob(j.id))?.returnvalue).toBe(j.data.i);
    expect((await queue.getJobCounts()).completed).toBe(2);
  });

  it('removeOnFail: 1 keeps only the newest failed job; removeOnFail: true keeps none', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('rof');
    const kept = await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'x', data: { i }, opts: { removeOnFail: 1 } })));
    const worker = t.worker<{ i: number }>('rof', async () => {
      throw new Error('nope');
    });
    await collectEvents(worker, 'failed', 3);
    await waitFor(async () => (await queue.getJob(kept[2]!.id))?.finishedOn !== undefined, 5000, 'last job failed');
    expect(await queue.getJobIds('failed')).toEqual([kept[2]!.id]);
    const redis = raw();
    expect(await redis.exists(queue.keys.job(kept[0]!.id), queue.keys.job(kept[1]!.id))).toBe(0);

    const gone = await queue.add('y', { i: 9 }, { removeOnFail: true });
    await waitForEvent(worker, 'failed');
    await waitFor(async () => (await redis.exists(queue.keys.job(gone.id))) === 0, 5000, 'failed job deleted');
    expect(await queue.getJobIds('failed')).toEqual([kept[2]!.id]);
  });

  // regression: a batch mixing removeOnComplete: true with kept jobs wiped the completed set
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
});
