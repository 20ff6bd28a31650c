// Cancelling a running job: from any process (queue.cancelJob, through the holder's lease
// renewal), or in the worker that runs it (worker.cancelJob, cancelAllJobs). The processor's
// signal is aborted with JobCancelledError and the job fails for good, without a retry.
import { describe, expect, it } from 'vitest';
import { JobCancelledError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

/** A processor that waits for its signal and reports the abort reason it got. */
function waitsForAbort(reasons: unknown[], started: string[]) {
  return async (job: Job, { signal }: { signal: AbortSignal }) => {
    started.push(job.id);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    reasons.push(signal.reason);
    throw signal.reason;
  };
}

describe('cancelling a running job', () => {
  const t = useRedis();

  it('queue.cancelJob reaches the worker holding the job: aborted, failed for good, no retry', async () => {
    t.newPrefix();
    const queue = t.queue('cancel');
    const reasons: unknown[] = [];
    const started: string[] = [];
    const failed: { job: Job | undefined; err: Error; willRetry: boolean }[] = [];
    // a 900 ms lease: renewals every 300 ms carry the request
    const worker = t.worker('cancel', waitsForAbort(reasons, started), { leaseMs: 900 });
    worker.on('failed', (job, err, willRetry) => failed.push({ job, err, willRetry }));
    const job = await queue.add('long', null, { attempts: 3 });
    expect(await queue.cancelJob('no-such-job')).toBe(false);
    await waitFor(() => started.length === 1, 5000, 'the job started');
    expect(await queue.cancelJob(job.id, 'the customer withdrew')).toBe(true);
    await waitFor(() => failed.length === 1, 5000, 'the job failed');
    expect(reasons[0]).toBeInstanceOf(JobCancelledError);
    expect(failed[0]!.willRetry).toBe(false);
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.failedReason).toBe('the customer withdrew');
    expect(started).toHaveLength(1);
    // job.retry() clears the request: it runs again, and completes this time
    await worker.close();
    const done: Job[] = [];
    t.worker('cancel', async () => 'ok', { leaseMs: 900 }).on('completed', (j) => done.push(j));
    await stored!.retry();
    await waitFor(() => done.length === 1, 5000, 'the retried job completed');
  });

  it('worker.cancelJob and cancelAllJobs stop this worker’s jobs at once', async () => {
    t.newPrefix();
    const queue = t.queue('local');
    const reasons: unknown[] = [];
    const started: string[] = [];
    const worker = t.worker('local', waitsForAbort(reasons, started), { concurrency: 3 });
    const jobs = await queue.addBulk([1, 2, 3].map((i) => ({ name: 'j', data: i })));
    await waitFor(() => started.length === 3, 5000, 'three jobs running');
    expect(worker.cancelJob('no-such-job')).toBe(false);
    expect(worker.cancelJob(jobs[0]!.id, 'one')).toBe(true);
    await waitFor(() => reasons.length === 1, 2000, 'one aborted');
    expect(worker.cancelAllJobs('rest')).toBe(2);
    await waitFor(async () => (await queue.getJobCounts()).failed === 3, 5000, 'all three failed');
    expect((await queue.getJob(jobs[0]!.id))!.failedReason).toBe('one');
    expect((await queue.getJob(jobs[2]!.id))!.failedReason).toBe('rest');
  });
});
