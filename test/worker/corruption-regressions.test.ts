// Regressions found by the corruption fuzz (chaos/fuzz/corrupt.ts): corruption of one
// job, one ordering key, one setting or one scheduler made every lease, ack or scheduler round of
// the group fail, so the worker kept reporting errors and other jobs stopped (invariant 8).
import { describe, expect, it } from 'vitest';
import { MalformedJobError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor } from '../helpers/wait.js';

describe('corruption regressions', () => {
  const t = useRedis();

  /** Normal jobs after the corruption still complete, and the worker reported no error. */
  async function stillWorks(name: string, errors: Error[]) {
    const queue = t.queue(name);
    const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'after', data: n })));
    await waitFor(async () => (await Promise.all(jobs.map((j) => j.getState()))).every((s) => s === 'completed'), 8000, 'jobs after');
    expect(errors).toEqual([]);
  }

  // regression: HMGET on a record clobbered while its job ran failed the whole batch of acks
  it('a record clobbered while its job runs does not fail the acks of the jobs settled with it', async () => {
    t.newPrefix();
    const queue = t.queue('clobbered');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const errors: Error[] = [];
    const worker = t.worker('clobbered', async (j) => (j.id === 'victim' ? gate.then(() => 'v') : j.data), {
      concurrency: 4,
      leaseMs: 1000,
      maxStalls: 0,
      allowErrors: true,
    });
    worker.on('error', (err) => errors.push(err));
    await queue.add('v', null, { jobId: 'victim' });
    await waitFor(async () => (await queue.getJobCounts()).active === 1, 5000, 'the victim running');
    await t.admin.set(queue.keys.job('victim'), 'not a hash');
    release();
    await stillWorks('clobbered', errors);
    await waitFor(async () => (await queue.getJobIds('failed')).includes('victim'), 8000, 'the clobbered job dead-lettered');
  });

  // regression: fail.lua's HINCRBY of a garbled attemptsMade raised an error on every retry
  it('a garbled attemptsMade does not make the failure of an attempt an error', async () => {
    t.newPrefix();
    const queue = t.queue('attempts');
    const errors: Error[] = [];
    const worker = t.worker(
      'attempts',
      async (j) => {
        if (j.name === 'bad') {
          await t.admin.hset(queue.keys.job(j.id), 'a', 'garbage');
          throw new Error('boom');
        }
        return j.data;
      },
      { allowErrors: true },
    );
    worker.on('error', (err) => errors.push(err));
    const failed = collectEvents<[Job | undefined, Error, boolean]>(worker, 'failed', 1);
    await queue.add('bad', null, { attempts: 3 });
    await failed;
    await stillWorks('attempts', errors);
  });

  // regression: a key's slot counter that is not an integer made every lease of the group fail
  it('a garbled ordering-key counter does not stop the group', async () => {
    t.newPrefix();
    const queue = t.queue('keys');
    const errors: Error[] = [];
    await queue.add('k', 1, { orderingKey: 'k1' });
    await t.admin.hset(queue.keys.group('default').keyState, 'a:k1', 'x', '#waiting', 'y');
    const worker = t.worker('keys', async (j) => j.data, { allowErrors: true });
    worker.on('error', (err) => errors.push(err));
    await queue.add('k', 2, { orderingKey: 'k1' });
    await stillWorks('keys', errors);
    await waitFor(async () => (await queue.getJobCounts()).completed === 5, 8000, 'the ordered jobs too');
  });

  // regression: a setting that is not an integer reached XADD MAXLEN: every add and lease failed
  it('a garbled setting is read as its default', async () => {
    t.newPrefix();
    const queue = t.queue('settings');
    await queue.add('warm', null);
    await t.admin.hset(queue.keys.meta, 'eventsMaxLen', '1.5', 'keepLen', '1e400', 'maxLength', 'x');
    // an age longer than the epoch made MINID negative: "Invalid stream ID"
    await t.admin.hset(queue.keys.meta, 'eventsMaxAgeMs', '9000000000000', 'keepAgeMs', '9000000000000');
    const errors: Error[] = [];
    const worker = t.worker('settings', async (j) => j.data, { allowErrors: true });
    worker.on('error', (err) => errors.push(err));
    await stillWorks('settings', errors);
  });

  // regression: a template that is valid JSON but not an object failed fire-scheduler.lua every round
  it('a scheduler record whose template is not { name, data, opts } is disabled, not an error every round', async () => {
    t.newPrefix();
    const queue = t.queue('sched');
    await t.admin.hset(queue.keys.scheduler('bad'), 'spec', '{"every":1000}', 'template', '5');
    await t.admin.zadd(queue.keys.schedulers, 0, 'bad');
    const errors: Error[] = [];
    const worker = t.worker('sched', async (j) => j.data, { allowErrors: true });
    worker.on('error', (err) => errors.push(err));
    await stillWorks('sched', errors);
    expect(await t.admin.zscore(queue.keys.schedulers, 'bad')).toBeNull();
  });

  // regression: a record in a state sluice has no name for was left as it was, with no word
  it('a record announced in the stream in an unknown state is dead-lettered with a reason', async () => {
    t.newPrefix();
    const queue = t.queue('state');
    const worker = t.worker('state', async (j) => j.data);
    const failed: Error[] = [];
    worker.on('failed', (_job, err) => failed.push(err));
    await t.admin.hset(queue.keys.job('odd'), 'n', 'x', 'd', '{}', 'o', '{}', 's', 'WAITING', 'ts', '1', 'a', '0', 'dl', '0');
    await t.admin.xadd(queue.keys.stream, '*', 'j', 'odd');
    await t.admin.zadd(queue.keys.group('default').wake, 'LT', 0, 'm'); // the wake an add writes
    await waitFor(async () => (await queue.getJobIds('failed')).includes('odd'), 5000, 'the record dead-lettered');
    expect((await queue.getJob('odd'))?.failedReason).toContain('unknown state WAITING');
    expect(failed[0]).toBeInstanceOf(MalformedJobError);
  });

  it('a malformed stream entry dead-lettered by the lease script is reported as a MalformedJobError', async () => {
    t.newPrefix();
    const queue = t.queue('entry');
    const worker = t.worker('entry', async (j) => j.data);
    const failed: [Job | undefined, Error][] = [];
    worker.on('failed', (job, err) => failed.push([job, err]));
    await queue.add('warm', null);
    await t.admin.xadd(queue.keys.stream, '*', 'x', 'y');
    await t.admin.zadd(queue.keys.group('default').wake, 'LT', 0, 'm'); // the wake an add writes
    await waitFor(() => failed.length > 0, 5000, 'a failed event');
    expect(failed[0]![0]).toBeUndefined();
    expect(failed[0]![1]).toBeInstanceOf(MalformedJobError);
  });
});
