// Leases: renewal of long jobs, fencing of a holder that lost its lease, concurrency, timeouts.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, JobTimeoutError, LeaseLostError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { gate, redisNow, untilAborted, useRawClients } from '../helpers/tools.js';
import { expireLease } from '../helpers/leases.js';
import { LEASE_CONFIG, scriptsFor } from '../helpers/counting.js';
import { writeGroupLimits } from '../../src/flow-control/rate-limit.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('leases', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('a job that runs for many lease periods is renewed and delivered once', async () => {
    t.newPrefix();
    const queue = t.queue('long');
    const job = await queue.add('long', null);
    const stalled: string[] = [];
    const started = gate();
    // two slots and a competitor: an expired lease would be reclaimed by either of them
    const worker = t.worker(
      'long',
      async () => {
        started.open();
        await new Promise((r) => setTimeout(r, 3000)); // the work itself: 6 lease periods
        return 'finished';
      },
      { leaseMs: 500, concurrency: 2, blockMs: 1000 },
    );
    worker.on('stalled', (id) => stalled.push(id));
    await started.promise;
    const competitor = t.worker('long', async () => 'competitor', { leaseMs: 500, blockMs: 1000 });
    competitor.on('stalled', (id) => stalled.push(id));
    const competitorDone: string[] = [];
    competitor.on('completed', (j) => competitorDone.push(j.id));
    const [done, result] = await waitForEvent<[Job, unknown]>(worker, 'completed', 10_000);
    expect(done.id).toBe(job.id);
    expect(result).toBe('finished');
    expect(stalled).toEqual([]);
    expect(competitorDone).toEqual([]);
    const stored = await queue.getJob(job.id);
    expect(stored?.deliveries).toBe(1);
    expect(stored?.stalls).toBe(0);
    expect(await stored?.getState()).toBe('completed');
  });

  it('job.token is set, equals the context token and the stored one, and stays stable', async () => {
    t.newPrefix();
    const queue = t.queue('token');
    const job = await queue.add('t', null);
    const redis = raw();
    const active = queue.keys.group('default').active;
    const seen: { jobToken?: string; ctxToken: string; stored: string | null; score: number }[] = [];
    const worker = t.worker(
      'token',
      async (j, { token }) => {
        const first = Number(await redis.zscore(active, j.id));
        seen.push({ jobToken: j.token, ctxToken: token, stored: await redis.hget(queue.keys.job(j.id), 'tk'), score: first });
        // wait for the lease keeper to renew a few times
        await waitFor(async () => Number(await redis.zscore(active, j.id)) > first + 600, 5000, 'renewals');
        seen.push({ jobToken: j.token, ctxToken: token, stored: await redis.hget(queue.keys.job(j.id), 'tk'), score: 0 });
        return null;
      },
      { leaseMs: 300 },
    );
    await waitForEvent(worker, 'completed');
    expect(seen).toHaveLength(2);
    const token = seen[0]!.jobToken;
    expect(typeof token).toBe('string');
    expect(token!.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s.jobToken).toBe(token);
      expect(s.ctxToken).toBe(token);
      expect(s.stored).toBe(token);
    }
    // once the job is finished the token is kept as "=token", which no live token equals (no
    // stale holder can match it) and which makes a resent ack of that delivery idempotent
    expect(await redis.hget(queue.keys.job(job.id), 'tk')).toBe(`=${token}`);
  });

  it('fencing: a holder whose lease expired cannot ack, update progress or log; the new holder wins', async () => {
    t.newPrefix();
    const queue = t.queue('fence');
    const job = await queue.add('f', null);
    const redis = raw();
    const startedA = gate<Job>();
    const releaseA = gate();
    const startedB = gate<Job>();
    const releaseB = gate();
    // a long lease: A's keeper will not renew (or notice anything) during the test
    const a = t.worker(
      'fence',
      async (j) => {
        startedA.open(j);
        await releaseA.promise;
        return 'A';
      },
      { leaseMs: 30_000 },
    );
    const completedA: string[] = [];
    a.on('completed', (j) => completedA.push(j.id));
    const jobA = await startedA.promise;
    const tokenA = jobA.token!;

    // A freezes: its lease expires; B's lease call reclaims the job
    await redis.zadd(queue.keys.group('default').active, 0, job.id);
    const b = t.worker(
      'fence',
      async (j) => {
        startedB.open(j);
        await releaseB.promise;
        return 'B';
      },
      { leaseMs: 30_000 },
    );
    const stalled = waitForEvent<[string]>(b, 'stalled');
    const jobB = await startedB.promise;
    expect((await stalled)[0]).toBe(job.id);
    expect(jobB.id).toBe(job.id);
    expect(jobB.deliveries).toBe(2);
    expect(jobB.stalls).toBe(1);
    expect(jobB.token).not.toBe(tokenA);

    // the stale holder is refused while B holds the lease
    await expect(jobA.updateProgress(50)).rejects.toBeInstanceOf(LeaseLostError);
    await expect(jobA.log('from A')).rejects.toBeInstanceOf(LeaseLostError);
    // the new holder is not
    await jobB.updateProgress(75);
    await jobB.log('from B');

    // A finishes late: its ack is refused
    const lostA = waitForEvent<[string, Error]>(a, 'lost');
    releaseA.open();
    const [lostId, lostErr] = await lostA;
    expect(lostId).toBe(job.id);
    expect(lostErr).toBeInstanceOf(LeaseLostError);
    expect(completedA).toEqual([]);
    expect(await redis.hget(queue.keys.job(job.id), 'tk')).toBe(jobB.token);
    expect(await jobA.getState()).toBe('active');

    const doneB = waitForEvent<[Job, unknown]>(b, 'completed');
    releaseB.open();
    expect((await doneB)[1]).toBe('B');
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.returnvalue).toBe('B');
    expect(stored?.progress).toBe(75);
    expect(stored?.deliveries).toBe(2);
    expect(stored?.attemptsMade).toBe(0);
    expect(await stored?.getLogs()).toEqual(['from B']);
    expect(await queue.getJobIds('completed')).toEqual([job.id]);
    expect(await queue.getJobCounts()).toMatchObject({ active: 0, waiting: 0, completed: 1, failed: 0 });
    expect(completedA).toEqual([]);
  });

  it('fencing: a failure reported by a holder whose lease expired is refused and uses no attempt', async () => {
    t.newPrefix();
    const queue = t.queue('fence-fail');
    const job = await queue.add('f', null, { attempts: 2 });
    const redis = raw();
    const startedA = gate<Job>();
    const releaseA = gate();
    const a = t.worker(
      'fence-fail',
      async (j) => {
        startedA.open(j);
        await releaseA.promise;
        throw new Error('A failed late');
      },
      { leaseMs: 30_000 },
    );
    const failedA: unknown[] = [];
    a.on('failed', (j) => failedA.push(j));
    await startedA.promise;
    await redis.zadd(queue.keys.group('default').active, 0, job.id);
    const startedB = gate<Job>();
    const releaseB = gate();
    const b = t.worker(
      'fence-fail',
      async (j) => {
        startedB.open(j);
        await releaseB.promise;
        return 'B';
      },
      { leaseMs: 30_000 },
    );
    const jobB = await startedB.promise;
    const lostA = waitForEvent<[string, Error]>(a, 'lost');
    releaseA.open();
    expect((await lostA)[0]).toBe(job.id);
    expect(failedA).toEqual([]);
    expect(await redis.hget(queue.keys.job(job.id), 'a')).toBe('0');
    expect(await redis.hget(queue.keys.job(job.id), 'tk')).toBe(jobB.token);
    const doneB = waitForEvent<[Job, unknown]>(b, 'completed');
    releaseB.open();
    await doneB;
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.attemptsMade).toBe(0);
    expect(stored?.failedReason).toBeUndefined();
  });

  it("the processor's signal aborts with LeaseLostError when the keeper finds the lease lost", async () => {
    t.newPrefix();
    const queue = t.queue('keeper');
    const job = await queue.add('k', null);
    const redis = raw();
    const startedA = gate<Job>();
    const abortedWith = gate<unknown>();
    const a = t.worker(
      'keeper',
      async (j, { signal }) => {
        startedA.open(j);
        try {
          return await untilAborted(signal);
        } catch (err) {
          abortedWith.open(err);
          throw err;
        }
      },
      { leaseMs: 300 },
    );
    const failedA: unknown[] = [];
    a.on('failed', (j) => failedA.push(j));
    const lost = waitForEvent<[string, Error]>(a, 'lost');
    const jobA = await startedA.promise;

    const b = t.worker('keeper', async () => 'B', { leaseMs: 300, blockMs: 1000 });
    const doneB = waitForEvent<[Job, unknown]>(b, 'completed');
    await expireLease(redis, queue.keys, job.id, jobA.token!);

    const reason = await abortedWith.promise;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect((reason as LeaseLostError).jobId).toBe(job.id);
    expect((await lost)[0]).toBe(job.id);
    const [jobB, result] = await doneB;
    expect(result).toBe('B');
    expect(jobB.deliveries).toBe(2);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.returnvalue).toBe('B');
    // losing a lease is not a failed attempt
    expect(stored?.attemptsMade).toBe(0);
    expect(failedA).toEqual([]);
  });

  it('extendLease from a holder that lost its lease rejects with LeaseLostError', async () => {
    t.newPrefix();
    const queue = t.queue('stale-extend');
    const job = await queue.add('s', null);
    const redis = raw();
    const startedA = gate<Job>();
    const releaseA = gate();
    t.worker(
      'stale-extend',
      async (j) => {
        startedA.open(j);
        await releaseA.promise;
        return 'A';
      },
      { leaseMs: 30_000 },
    );
    const jobA = await startedA.promise;
    await redis.zadd(queue.keys.group('default').active, 0, job.id);
    const b = t.worker('stale-extend', async () => 'B', { leaseMs: 30_000 });
    await waitForEvent(b, 'completed');
    try {
      await expect(jobA.extendLease(10_000)).rejects.toBeInstanceOf(LeaseLostError);
    } finally {
      releaseA.open();
    }
  });

  it('a worker never runs more than `concurrency` jobs at once', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('conc');
    await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'c', data: { i } })));
    let inFlight = 0;
    let max = 0;
    let done = 0;
    const worker = t.worker<{ i: number }>(
      'conc',
      async () => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 2)); // a little async work, so jobs overlap
        inFlight--;
        done++;
        return null;
      },
      { concurrency: 5 },
    );
    await waitFor(async () => (await queue.getJobCounts()).completed === 200, 20_000, '200 completed');
    expect(done).toBe(200);
    expect(max).toBeLessThanOrEqual(5);
    expect(max).toBe(5); // the limit was actually reached
    expect(worker.health().activeJobs).toBe(0);
  });

  it('job.extendLease(ms) moves the deadline and the keeper keeps that length', async () => {
    t.newPrefix();
    const queue = t.queue('extend');
    const job = await queue.add('e', null);
    const redis = raw();
    const active = queue.keys.group('default').active;
    const margins: number[] = [];
    const worker = t.worker(
      'extend',
      async (j) => {
        await expect(j.extendLease(0)).rejects.toBeInstanceOf(InvalidOptionError);
        await j.extendLease(5000);
        margins.push(Number(await redis.zscore(active, j.id)) - (await redisNow(redis)));
        // the keeper (every 100 ms here) renews to 5 s from now, not back to 300 ms
        const after = Number(await redis.zscore(active, j.id));
        await waitFor(async () => Number(await redis.zscore(active, j.id)) > after, 5000, 'a renewal');
        margins.push(Number(await redis.zscore(active, j.id)) - (await redisNow(redis)));
        return 'ok';
      },
      { leaseMs: 300 },
    );
    await waitForEvent(worker, 'completed');
    expect(margins).toHaveLength(2);
    for (const m of margins) expect(m).toBeGreaterThan(4000);
    const stored = await queue.getJob(job.id);
    expect(stored?.deliveries).toBe(1);
    expect(stored?.returnvalue).toBe('ok');
  });

  it('timeout: the signal aborts with JobTimeoutError and the attempt counts as failed', async () => {
    t.newPrefix();
    const queue = t.queue('timeout');
    const job = await queue.add('slow', null, { timeout: 200 });
    const reasons: unknown[] = [];
    const worker = t.worker('timeout', async (_j, { signal }) => {
      try {
        return await untilAborted(signal);
      } catch (err) {
        reasons.push(err);
        throw err;
      }
    });
    const [failedJob, err, willRetry] = await waitForEvent<[Job | undefined, Error, boolean]>(worker, 'failed');
    expect(failedJob?.id).toBe(job.id);
    expect(err).toBeInstanceOf(JobTimeoutError);
    expect(willRetry).toBe(false);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(JobTimeoutError);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(1);
    expect(stored?.failedReason).toContain('timed out after 200 ms');
  });

  it('timeout with attempts left: the timed-out attempt is retried and can succeed', async () => {
    t.newPrefix();
    const queue = t.queue('timeout-retry');
    const job = await queue.add('slow-once', null, { timeout: 200, attempts: 2 });
    let calls = 0;
    const worker = t.worker('timeout-retry', async (_j, { signal }) => {
      calls++;
      if (calls === 1) return untilAborted(signal);
      return 'second';
    });
    const failed = waitForEvent<[Job | undefined, Error, boolean]>(worker, 'failed');
    const [done, result] = await waitForEvent<[Job, unknown]>(worker, 'completed');
    const [, err, willRetry] = await failed;
    expect(err).toBeInstanceOf(JobTimeoutError);
    expect(willRetry).toBe(true);
    expect(done.id).toBe(job.id);
    expect(result).toBe('second');
    const stored = await queue.getJob(job.id);
    expect(stored?.attemptsMade).toBe(1);
    expect(stored?.deliveries).toBe(2);
  });

  it('a timed-out attempt that ignores its signal does not break the lease of the retry', async () => {
    t.newPrefix();
    const queue = t.queue('timeout-ignore');
    // the timeout is long enough for the retry to show several renewals before it times out too
    const job = await queue.add('stubborn', null, { timeout: 2000, attempts: 2 });
    const redis = raw();
    const active = queue.keys.group('default').active;
    const release1 = gate();
    const finished1 = gate();
    const started2 = gate();
    const release2 = gate();
    const worker = t.worker(
      'timeout-ignore',
      async (j) => {
        if (j.deliveries === 1) {
          await release1.promise; // ignores the abort, finishes late
          finished1.open();
          return 'late';
        }
        started2.open();
        await release2.promise;
        return 'second';
      },
      { concurrency: 2, leaseMs: 200, blockMs: 1000 },
    );
    let stalled = false;
    worker.on('stalled', () => (stalled = true));
    await started2.promise;
    // the first attempt ends now, long after its timeout, while the retry runs
    release1.open();
    await finished1.promise;
    const from = Number(await redis.zscore(active, job.id));
    // the retry's lease must keep being renewed (2.5 lease periods), not expire and be reclaimed
    await waitFor(async () => stalled || Number(await redis.zscore(active, job.id)) > from + 500, 1500, 'renewals or a stall');
    expect(stalled).toBe(false);
    expect(worker.health().activeJobs).toBe(1);
    const done = waitForEvent<[Job, unknown]>(worker, 'completed');
    release2.open();
    expect((await done)[1]).toBe('second');
    const stored = await queue.getJob(job.id);
    expect(stored?.deliveries).toBe(2);
    expect(stored?.stalls).toBe(0);
  });

  // regression: an extendLease shorter than the renewal interval lapsed before the keeper renewed it
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

  it('one ack batch that names a job twice counts it once: its key is released once, its record deleted after the batch', async () => {
    t.newPrefix();
    const queue = t.queue('twice');
    for (const name of ['a', 'b', 'c']) await queue.add(name, 1, { orderingKey: 'K', removeOnComplete: true });
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'twice');
    await writeGroupLimits(t.admin, keys, 'default', { keyConcurrency: 2 });
    const first = await scripts.lease('default', 'c', 'n1', 10, LEASE_CONFIG);
    expect(first.jobs.map((j) => j.name)).toEqual(['a', 'b']);
    const a = first.jobs[0]!;
    const ack = { id: a.id, token: a.token, returnvalue: '1', keep: [0, -1] as [number, number] };
    const { refused, lease } = await scripts.complete('default', 'c', 'n2', 10, LEASE_CONFIG, [ack, ack]);
    expect(refused).toEqual([]);
    expect(await t.admin.exists(keys.job(a.id))).toBe(0);
    // a's slot freed once: c is leased, and the key holds two slots (b and c); released twice, it would count one
    expect(lease.jobs.map((j) => j.name)).toEqual(['c']);
    expect(await t.admin.hget(keys.group('default').keyState, 'a:K')).toBe('2');
  });
});
