// queue.explain(jobId) (docs/explain.md) against a real Redis: one test per reason a job is not
// running — not found, no worker polling, workers busy, paused, waiting behind N (capped: "at
// least"), delayed, retry scheduled, rate limited, ordering key held or over its per-key limit,
// running, lease expired (its worker killed), completed, dead-lettered — and on a partitioned
// queue and for another group.
import { describe, expect, it } from 'vitest';
import { QueueEvents, type Queue, type Worker } from '../../src/index.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('queue.explain', () => {
  const t = useRedis();

  /** A worker that runs one job and goes: the consumer its group's workers share is known, and recent. */
  async function pollOnce(name: string): Promise<void> {
    const w = t.worker(name, async () => 'ok');
    const done = waitForEvent(w, 'completed');
    await t.queue(name).add('warm-up', 0);
    await done;
    await w.close();
  }

  /** A processor held until released; resolves started when it runs. */
  function held() {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    return { gate, release };
  }

  it('not found', async () => {
    const queue = t.queue('nf');
    const e = await queue.explain('nope');
    expect(e).toMatchObject({ state: 'unknown', reason: 'not-found', group: 'default' });
    expect(e.message).toBe('Job nope was not found in group "default".');
  });

  it('no worker has ever polled the group; or none for longer than workerIdleMs', async () => {
    const queue = t.queue('nw');
    const job = await queue.add('x', 1);
    const never = await queue.explain(job.id);
    expect(never).toMatchObject({ state: 'waiting', reason: 'no-workers', details: { lastPollMsAgo: null } });
    expect(never.message).toContain('no worker has ever polled group "default"');
    await pollOnce('nw');
    const job2 = await queue.add('x', 2);
    await waitFor(async () => (await queue.explain(job2.id, { workerIdleMs: 0 })).reason === 'no-workers', 5000, 'idle past 0 ms');
    expect((await queue.explain(job2.id, { workerIdleMs: 0 })).message).toMatch(/no worker has polled group "default" for \d+ s/);
  });

  it('paused', async () => {
    const queue = t.queue('pz');
    await pollOnce('pz');
    await queue.pause();
    const job = await queue.add('x', 1);
    expect(await queue.explain(job.id)).toMatchObject({ state: 'waiting', reason: 'paused' });
  });

  it('waiting behind N jobs, "at least" past the cap; next in line', async () => {
    const queue = t.queue<number>('beh');
    await pollOnce('beh');
    const jobs = await queue.addBulk(Array.from({ length: 1005 }, (_, n) => ({ name: 'n', data: n })));
    const first = await queue.explain(jobs[0]!.id);
    expect(first).toMatchObject({ reason: 'waiting', details: { ahead: 0 } });
    expect(first.message).toContain('is next');
    const fifth = await queue.explain(jobs[4]!.id);
    expect(fifth).toMatchObject({ state: 'waiting', reason: 'waiting', details: { ahead: 4, atLeast: false } });
    expect(fifth.message).toBe(`Job ${jobs[4]!.id} is waiting behind 4 jobs in the stream and redeliveries.`);
    const last = await queue.explain(jobs[1004]!.id);
    expect(last.details).toMatchObject({ ahead: 1000, atLeast: true });
    expect(last.message).toContain('at least 1000 jobs');
  });

  it('delayed until T', async () => {
    const queue = t.queue('del');
    const job = await queue.add('x', 1, { delay: 60_000 });
    const e = await queue.explain(job.id);
    expect(e).toMatchObject({ state: 'delayed', reason: 'delayed' });
    expect(e.details.dueAt).toBeGreaterThan(Date.now() + 50_000);
    expect(e.message).toMatch(/is delayed until \d{4}-\d\d-\d\dT.*\(in 60(\.0)? s\)|in 59\.\d s/);
  });

  it('waiting for its retry at T; dead-lettered because <reason> after N attempts; completed', async () => {
    const queue = t.queue('rt');
    const events = t.track(new QueueEvents('rt', { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs: 500 }));
    await events.waitUntilReady();
    t.worker('rt', async (job) => {
      if (job.name === 'ok') return 'fine';
      throw new Error(job.name === 'retry' ? 'flaky' : 'boom');
    });
    const retrying = waitForEvent(events, 'retrying');
    const failed = waitForEvent(events, 'failed');
    const completed = waitForEvent(events, 'completed');
    const r = await queue.add('retry', 1, { attempts: 2, backoff: { type: 'fixed', delay: 60_000 } });
    const d = await queue.add('dead', 2, { attempts: 1 });
    const c = await queue.add('ok', 3);
    await Promise.all([retrying, failed, completed]);
    const retry = await queue.explain(r.id);
    expect(retry).toMatchObject({ state: 'delayed', reason: 'retry-scheduled', details: { attemptsMade: 1, failedReason: 'flaky' } });
    expect(retry.message).toMatch(/waiting for its retry at .* after 1 failed attempt \(last: "flaky"\)/);
    const dead = await queue.explain(d.id);
    expect(dead).toMatchObject({ state: 'failed', reason: 'dead-lettered', details: { failedReason: 'boom' } });
    expect(dead.message).toBe(`Job ${d.id} was dead-lettered because "boom" after 1 attempt.`);
    expect(await queue.explain(c.id)).toMatchObject({ state: 'completed', reason: 'completed' });
  });

  it('running: leased by worker W until T; its ordering key held by that job; the rate limit allows the next start at T', async () => {
    const queue = t.queue('run');
    const h = held();
    const worker: Worker = t.worker(
      'run',
      async () => {
        await h.gate;
        return 'ok';
      },
      { concurrency: 5 },
    );
    const active = waitForEvent(worker, 'active');
    const first = await queue.add('x', 1, { orderingKey: 'acct-1' });
    await active;
    const second = await queue.add('x', 2, { orderingKey: 'acct-1' });
    // the worker's first heartbeat (its registry entry) goes as it starts: wait for it to land
    await waitFor(async () => (await queue.getWorkers()).some((w) => w.id === worker.id), 5000, 'the worker heartbeat');
    const running = await queue.explain(first.id);
    expect(running).toMatchObject({ state: 'active', reason: 'active', details: { worker: worker.id, workerAlive: true } });
    expect(running.details.leaseUntil).toBeGreaterThan(Date.now());
    expect(running.message).toMatch(new RegExp(`^Job ${first.id} is running: worker ${worker.id} holds its lease until `));
    const blocked = await queue.explain(second.id);
    expect(blocked).toMatchObject({ state: 'waiting', reason: 'key-held', details: { orderingKey: 'acct-1', heldBy: first.id } });
    expect(blocked.message).toBe(`Job ${second.id} waits: its ordering key "acct-1" is held by job ${first.id}.`);
    h.release();
    await waitFor(async () => (await queue.explain(second.id)).reason === 'completed', 5000, 'the second job');

    await queue.setRateLimit({ max: 1, duration: 60_000 });
    const done = waitForEvent(worker, 'completed');
    await queue.add('x', 3);
    await done;
    const third = await queue.add('x', 4);
    const limited = await queue.explain(third.id);
    expect(limited).toMatchObject({ reason: 'rate-limited', details: { limit: { max: 1, duration: 60_000 }, startedInWindow: 1 } });
    expect(limited.message).toMatch(/the rate limit \(1 per 60000 ms\) allows the next start at /);
  });

  it('lease expired: the process running it was killed, and its lease ran out', async () => {
    const queue = t.queue('gone');
    // a worker in its own process (dist/, as the fault tests use), its job running for a minute
    const proc = startWorkerProcess({ REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'gone', CONCURRENCY: 1, LEASE_MS: 2000, JOB_MS: 60_000 });
    const job = await queue.add('x', 1);
    await proc.until('start', 1);
    expect(await queue.explain(job.id)).toMatchObject({ state: 'active', reason: 'active' });
    proc.kill('SIGKILL');
    await waitFor(async () => (await queue.explain(job.id)).reason === 'lease-expired', 15_000, 'the lease to run out');
    const e = await queue.explain(job.id);
    expect(e).toMatchObject({ state: 'active', reason: 'lease-expired' });
    expect(e.details.leaseUntil).toBeLessThanOrEqual(Date.now());
    // the killed process's worker is named (its registry entry outlives it by a few heartbeats)
    expect(e.details.worker).toMatch(new RegExp(`:${proc.proc.pid}:[0-9a-f]{6}$`));
    expect(e.message).toMatch(
      new RegExp(
        `^Job ${e.jobId}'s lease ran out at .* s ago\\): its worker \\S+:${proc.proc.pid}:[0-9a-f]{6}( \\(no longer heartbeating\\))? ` +
          'is gone or frozen; the next lease of a worker in group "default"',
      ),
    );
  });

  it('running, held by a worker with metrics off: not in the registry, so only its tag is named', async () => {
    const queue = t.queue('unlisted');
    const h = held();
    const worker: Worker = t.worker('unlisted', () => h.gate, { metrics: false });
    const active = waitForEvent(worker, 'active');
    const job = await queue.add('x', 1);
    await active;
    const e = await queue.explain(job.id);
    const tag = worker.id.split(':').pop();
    expect(e).toMatchObject({ state: 'active', reason: 'active', details: { workerTag: tag } });
    expect(e.message).toMatch(
      new RegExp(`^Job ${job.id} is running: worker …${tag} \\(not in the worker registry: metrics off\\?\\) holds`),
    );
    h.release();
  });

  it("workers busy: the group's workers have every slot taken, so none polls", async () => {
    const queue = t.queue('busy');
    const h = held();
    const worker = t.worker('busy', () => h.gate, { concurrency: 1, prefetch: 0 });
    const active = waitForEvent(worker, 'active');
    await queue.add('x', 1);
    await active;
    const second = await queue.add('x', 2);
    const why = () => queue.explain(second.id, { workerIdleMs: 300 });
    await waitFor(async () => (await why()).reason === 'workers-busy', 10_000, 'no poll for 300 ms');
    const e = await why();
    expect(e).toMatchObject({ state: 'waiting', reason: 'workers-busy', details: { active: 1 } });
    expect(e.details.lastPollMsAgo).toBeGreaterThan(300);
    expect(e.message).toMatch(/waits: the workers of group "default" are busy with 1 job and have not polled for \d+ s\.$/);
    const done = waitForEvent(worker, 'completed', 10_000, (job: { id: string }) => job.id === second.id);
    h.release();
    await done;
  });

  it('key rate limited: its ordering key used up its per-key limit; other keys run', async () => {
    const queue = t.queue('klim');
    const worker = t.worker('klim', async () => 'ok', { keyLimiter: { max: 1, duration: 60_000 } });
    const first = waitForEvent(worker, 'completed');
    await queue.add('x', 1, { orderingKey: 'acct-9' });
    await first;
    const next = await queue.add('x', 2, { orderingKey: 'acct-9' });
    const other = await queue.add('x', 3, { orderingKey: 'acct-10' });
    await waitFor(async () => (await queue.explain(next.id)).reason === 'key-rate-limited', 10_000, 'the key parked by its limit');
    const e = await queue.explain(next.id);
    expect(e).toMatchObject({ state: 'waiting', reason: 'key-rate-limited', details: { orderingKey: 'acct-9', keyLimit: '1:60000' } });
    expect(e.details.nextStartAt).toBeGreaterThan(Date.now() + 50_000);
    expect(e.message).toMatch(/waits: its ordering key "acct-9" may start again at .*\(in \d+(\.\d)? s\) \(per-key limit 1:60000\)\.$/);
    await waitFor(async () => (await queue.explain(other.id)).reason === 'completed', 10_000, 'the other key runs');
  });

  it('on a partitioned queue: the job is found in its partition; another group is asked with { group }', async () => {
    const queue: Queue = t.queue('parts', { partitions: 3 });
    const job = await queue.add('x', 1, { delay: 30_000, jobId: 'order-7' });
    const e = await queue.explain(job.id);
    expect(e).toMatchObject({ state: 'delayed', reason: 'delayed' });
    expect(typeof e.details.partition).toBe('number');
    expect((await queue.explain('missing')).reason).toBe('not-found');

    const fan = t.queue('fan');
    await fan.createGroup('audit');
    const j = await fan.add('x', 1, { jobId: 'fan-1' });
    // the group exists (createGroup) but no worker read for it yet: Redis cannot tell, the place is given
    expect(await fan.explain(j.id, { group: 'audit' })).toMatchObject({ group: 'audit', state: 'waiting', reason: 'waiting' });
    expect(await fan.explain(j.id)).toMatchObject({ group: 'default', state: 'waiting', reason: 'no-workers' });
  });
});
