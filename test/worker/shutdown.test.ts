// Graceful shutdown: close() is idempotent, lets running jobs finish, hands back what it must
// abort without using an attempt, and fetches nothing afterwards; shutdownOnSignals wires it.
import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidOptionError, ShutdownError, shutdownOnSignals, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { gate, untilAborted } from '../helpers/tools.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('worker shutdown', () => {
  const t = useRedis();

  it('close() is idempotent: one shutdown, one closed event', async () => {
    t.newPrefix();
    t.queue('idem');
    const worker = t.worker('idem', async () => null, { blockMs: 1000 });
    let closedEvents = 0;
    worker.on('closed', () => closedEvents++);
    await waitFor(() => worker.health().state === 'running', 5000, 'worker running');
    const first = worker.close();
    const second = worker.close({ timeoutMs: 1 });
    expect(second).toBe(first);
    await Promise.all([first, second]);
    await worker.close();
    expect(closedEvents).toBe(1);
    expect(worker.health().state).toBe('closed');
  });

  it('close() while idle and blocking returns promptly', async () => {
    t.newPrefix();
    t.queue('idle-close');
    // blocks 20 s in Redis when idle: close must interrupt the read, not wait it out
    const worker = t.worker('idle-close', async () => null, { blockMs: 20_000 });
    await waitFor(() => worker.health().state === 'running', 5000, 'worker running');
    const closed = waitForEvent(worker, 'closed', 5000);
    await worker.close();
    await closed;
  });

  it('lets in-flight jobs finish: they complete, they are not handed back', async () => {
    t.newPrefix();
    const queue = t.queue('drain-in-flight');
    const job = await queue.add('work', null);
    const next = await queue.add('not-started', null);
    const started = gate<Job>();
    const release = gate();
    const worker = t.worker('drain-in-flight', async (j) => {
      started.open(j);
      await release.promise;
      return 'finished';
    });
    const completed: unknown[] = [];
    worker.on('completed', (_j, r) => completed.push(r));
    await started.promise;
    const closing = worker.close({ timeoutMs: 10_000 });
    expect(worker.health().state).toBe('closing');
    release.open();
    await closing;
    expect(completed).toEqual(['finished']);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.returnvalue).toBe('finished');
    expect(stored?.deliveries).toBe(1);
    // the job behind it was not started by the closing worker
    expect(await (await queue.getJob(next.id))?.getState()).toBe('waiting');
    expect((await queue.getJob(next.id))?.deliveries).toBe(0);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 1, active: 0, completed: 1 });
  });

  it('close() right after construction processes nothing and resolves', async () => {
    t.newPrefix();
    const queue = t.queue('early-close');
    const job = await queue.add('w', null);
    const seen: string[] = [];
    const worker = t.worker('early-close', async (j) => {
      seen.push(j.id);
      return null;
    });
    const closed = waitForEvent(worker, 'closed', 5000);
    await worker.close();
    await closed;
    expect(worker.health().state).toBe('closed');
    expect(seen).toEqual([]);
    expect(await (await queue.getJob(job.id))?.getState()).toBe('waiting');
  });

  it('at the deadline: aborts with ShutdownError and hands the job back without using an attempt', async () => {
    t.newPrefix();
    const queue = t.queue('deadline');
    const job = await queue.add('forever', null, { attempts: 3 });
    const started = gate<Job>();
    const reasons: unknown[] = [];
    const a = t.worker('deadline', async (j, { signal }) => {
      started.open(j);
      try {
        return await untilAborted(signal);
      } catch (err) {
        reasons.push(err);
        throw err;
      }
    });
    const failedA: unknown[] = [];
    a.on('failed', (j) => failedA.push(j));
    await started.promise;
    await a.close({ timeoutMs: 200 });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toBeInstanceOf(ShutdownError);
    expect(failedA).toEqual([]);
    const back = await queue.getJob(job.id);
    expect(await back?.getState()).toBe('waiting');
    expect(back?.attemptsMade).toBe(0);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 1, active: 0, failed: 0 });

    const b = t.worker('deadline', async (j) => ({ attemptsMade: j.attemptsMade, deliveries: j.deliveries }));
    const [done, result] = await waitForEvent<[Job, unknown]>(b, 'completed');
    expect(done.id).toBe(job.id);
    expect(result).toEqual({ attemptsMade: 0, deliveries: 2 });
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('completed');
    expect(stored?.attemptsMade).toBe(0);
  });

  it("a second close() can shorten the first; close(true) (BullMQ's force) aborts and hands back at once", async () => {
    t.newPrefix();
    const queue = t.queue('shorten');
    const job = await queue.add('forever', null, { attempts: 3 });
    const started = gate<Job>();
    const worker = t.worker('shorten', async (j, { signal }) => {
      started.open(j);
      return untilAborted(signal);
    });
    await started.promise;
    let closed = false;
    const first = worker.close({ timeoutMs: 60_000 }).then(() => (closed = true));
    await waitFor(() => worker.health().state === 'closing', 5000, 'worker closing');
    expect(closed).toBe(false);
    const second = worker.close(true);
    await Promise.all([first, second]);
    const back = await queue.getJob(job.id);
    expect(await back?.getState()).toBe('waiting');
    expect(back?.attemptsMade).toBe(0);
    await expect(worker.close({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => shutdownOnSignals([worker], { timeoutMs: -1 })).toThrow(InvalidOptionError);
  });

  it('close(true) after a graceful close() also brings forward the wait for an unreachable Redis', async () => {
    t.newPrefix();
    const queue = t.queue('forced-down');
    await queue.add('forever', null);
    const started = gate<Job>();
    const worker = t.worker(
      'forced-down',
      async (j, { signal }) => {
        started.open(j);
        return untilAborted(signal);
      },
      { allowErrors: true },
    );
    await started.promise;
    await t.redis.stop('SIGKILL');
    try {
      const first = worker.close({ timeoutMs: 120_000 });
      await waitFor(() => worker.health().state === 'closing', 5000, 'worker closing');
      // without Redis nothing can be handed back: close resolves after its grace (5 s), not
      // after the first call's 120 s (the job's lease runs out and it is delivered again)
      await Promise.all([first, worker.close(true)]);
      expect(worker.health().state).toBe('closed');
    } finally {
      await t.redis.start();
    }
  });

  it('after close no jobs are fetched', async () => {
    t.newPrefix();
    const queue = t.queue('after-close');
    const seenByA: string[] = [];
    const a = t.worker(
      'after-close',
      async (j) => {
        seenByA.push(j.id);
        return 'A';
      },
      { blockMs: 1000 },
    );
    const first = await queue.add('before', null);
    await waitForEvent(a, 'completed');
    await a.close();
    const later = await queue.add('after', null);
    // the job was not leased by the closed worker (nor leased and handed back)
    expect((await queue.getJob(later.id))?.deliveries).toBe(0);
    expect((await queue.getJobCounts()).waiting).toBe(1);
    const b = t.worker('after-close', async () => 'B');
    const [done, result] = await waitForEvent<[Job, unknown]>(b, 'completed');
    expect(done.id).toBe(later.id);
    expect(result).toBe('B');
    expect(done.deliveries).toBe(1);
    expect(seenByA).toEqual([first.id]);
  });

  it('shutdownOnSignals (exit: false) closes workers and queues on the signal', async () => {
    t.newPrefix();
    const queue = t.queue('signals');
    const worker = t.worker('signals', async () => null, { blockMs: 1000 });
    await waitFor(() => worker.health().state === 'running', 5000, 'worker running');
    const before = process.listenerCount('SIGUSR2');
    const remove = shutdownOnSignals([worker, queue], { signals: ['SIGUSR2'], exit: false, timeoutMs: 1000 });
    try {
      expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
      const closed = waitForEvent(worker, 'closed', 5000);
      process.kill(process.pid, 'SIGUSR2');
      await closed;
      await expect(queue.add('x', null)).rejects.toBeInstanceOf(ClosedError);
    } finally {
      remove();
    }
    expect(process.listenerCount('SIGUSR2')).toBe(before);
  });

  // regression: close() did not resolve while Redis was down
  it('close() resolves when Redis is down, after its timeout and a grace', async () => {
    t.newPrefix();
    const worker = t.worker('down', async () => 1, { allowErrors: true, blockMs: 300, watchdogGraceMs: 300 });
    await waitFor(() => worker.health().state === 'running', 5000, 'running');
    await t.redis.stop('SIGKILL');
    try {
      await expect(
        Promise.race([worker.close({ timeoutMs: 200 }).then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 15_000))]),
      ).resolves.toBe('closed');
    } finally {
      await t.redis.start();
    }
  });
});
