// Step jobs: a processor that throws DelayedError sends its job back to the schedule, to run
// again later without using an attempt or recording a failure (BullMQ's moveToDelayed +
// DelayedError works too).
import { describe, expect, it } from 'vitest';
import { DelayedError, InvalidOptionError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('step jobs (DelayedError)', () => {
  const t = useRedis();

  it('a job deferred twice runs a third time, later, with no attempt used and no failure', async () => {
    t.newPrefix();
    const queue = t.queue<{ steps: number }>('steps');
    const job = await queue.add('poll', { steps: 3 });
    const starts: { at: number; attemptsMade: number; deliveries: number }[] = [];
    let failedEvents = 0;
    const completed: Job[] = [];
    const worker = t.worker<{ steps: number }>('steps', async (j) => {
      starts.push({ at: j.processedOn!, attemptsMade: j.attemptsMade, deliveries: j.deliveries });
      if (starts.length < j.data.steps) throw new DelayedError(250);
      return 'done';
    });
    worker.on('failed', () => failedEvents++);
    worker.on('completed', (j) => completed.push(j));
    await waitFor(() => starts.length === 1, 5000, 'the first step');
    await waitFor(async () => (await queue.getJob(job.id))?.getState().then((s) => s === 'delayed') ?? false, 5000, 'deferred');
    await waitFor(() => completed.length === 1, 10_000, 'the job completed');
    expect(failedEvents).toBe(0);
    expect(starts.map((s) => s.attemptsMade)).toEqual([0, 0, 0]);
    expect(starts.map((s) => s.deliveries)).toEqual([1, 2, 3]);
    for (let i = 1; i < starts.length; i++) expect(starts[i]!.at - starts[i - 1]!.at).toBeGreaterThanOrEqual(250);
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('completed');
    expect(stored!.attemptsMade).toBe(0);
    expect(stored!.failedReason).toBeUndefined();
  });

  it("BullMQ's moveToDelayed(timestamp) then throw new DelayedError() defers the same way", async () => {
    t.newPrefix();
    const queue = t.queue('bull-steps');
    await queue.add('poll', null, { attempts: 1 });
    let runs = 0;
    const completed: Job[] = [];
    const worker = t.worker('bull-steps', async (j, { token }) => {
      if (++runs === 1) {
        await j.moveToDelayed(Date.now() + 200, token);
        throw new DelayedError();
      }
      return runs;
    });
    worker.on('completed', (j) => completed.push(j));
    await waitFor(() => completed.length === 1, 10_000, 'the job completed');
    expect(completed[0]!.returnvalue).toBe(2);
    expect(completed[0]!.attemptsMade).toBe(0);
  });

  it('refuses a negative delay, and moveToDelayed outside a processor', async () => {
    expect(() => new DelayedError(-1)).toThrow(InvalidOptionError);
    t.newPrefix();
    const queue = t.queue('outside');
    const job = await queue.add('x', null);
    await expect(job.moveToDelayed(Date.now() + 1000)).rejects.toThrow(/only the worker processing/);
  });
});
