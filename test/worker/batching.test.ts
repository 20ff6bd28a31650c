// Batching (invariant 6, docs/invariants.md): parallel adds travel together, a busy worker leases ahead, and what
// it leased ahead goes back unstarted when it closes.
import { describe, expect, it } from 'vitest';
import { MAX_ACK_BYTES, Settlement } from '../../src/worker/settlement.js';
import { useRedis } from '../helpers/setup.js';
import { commandStats, gate, scriptCalls, useRawClients } from '../helpers/tools.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

describe('batching', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('add() calls made in parallel share script calls (250 jobs each), and each gets its own job', async () => {
    const queue = t.queue<{ i: number }>('parallel');
    await queue.waitUntilReady();
    const redis = raw();
    const before = await commandStats(redis);
    const jobs = await Promise.all([
      ...Array.from({ length: 999 }, (_, i) => queue.add('p', { i })),
      queue.add('own', { i: -1 }, { jobId: 'own-1' }),
      queue.add('own-again', { i: -2 }, { jobId: 'own-1' }),
    ]);
    const after = await commandStats(redis);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(1000);
    expect(jobs.slice(0, 999).map((j) => j.data.i)).toEqual(Array.from({ length: 999 }, (_, i) => i));
    // the second add of an existing id gets the existing job, and writes nothing
    expect(jobs[1000]).toMatchObject({ id: 'own-1', name: 'own', data: { i: -1 } });
    // 1,000 adds travel in chunks of 250, pipelined: four script calls
    expect((after.evalsha ?? 0) - (before.evalsha ?? 0) + (after.eval ?? 0) - (before.eval ?? 0)).toBeLessThanOrEqual(5);
    expect((await queue.getJobCounts()).waiting).toBe(1000);
  });

  it('a worker with short jobs leases ahead, and close() hands back what it had not started', async () => {
    t.newPrefix();
    const queue = t.queue('ahead');
    await queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ name: 'short', data: i })));
    const hold = gate();
    let started = 0;
    const worker = t.worker(
      'ahead',
      async () => {
        // the first 20 jobs are short, so the worker learns to prefetch; then job 21 blocks
        if (++started > 20) await hold.promise;
      },
      { concurrency: 1, prefetch: 50 },
    );
    await waitFor(() => started > 20 && worker.health().prefetched > 0, 10_000, 'a prefetched job while one runs');
    const prefetched = worker.health().prefetched;
    const closing = worker.close({ timeoutMs: 10_000 });
    hold.open();
    await closing;
    const counts = await queue.getJobCounts();
    expect(counts).toMatchObject({ active: 0, completed: 21, waiting: 279 });
    // the handed-back jobs kept their delivery count at zero: they never started
    const waiting = await queue.getJobs('waiting', 0, prefetched - 1);
    expect(waiting.length).toBe(prefetched);
    for (const job of waiting) expect(job.deliveries).toBe(0);
  });

  it('a worker processes a large backlog with every job completed exactly once', async () => {
    t.newPrefix();
    const queue = t.queue<number>('backlog', { defaultJobOptions: { removeOnComplete: false } });
    await queue.addBulk(Array.from({ length: 5000 }, (_, i) => ({ name: 'n', data: i })));
    const seen = new Map<number, number>();
    const worker = t.worker<number>(
      'backlog',
      async (job) => {
        seen.set(job.data, (seen.get(job.data) ?? 0) + 1);
      },
      { concurrency: 50 },
    );
    await collectEvents(worker, 'completed', 5000, 30_000);
    expect(seen.size).toBe(5000);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 5000 });
  });

  it('acks of large results are sent in calls bounded in bytes, and every one is accepted', async () => {
    t.newPrefix();
    const queue = t.queue('bigresults', { defaultJobOptions: { removeOnComplete: true } });
    await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'big', data: i })));
    const open = gate();
    const worker = t.worker(
      'bigresults',
      async () => {
        await open.promise; // all 30 finish together, so their acks are pending at once
        return 'x'.repeat(400 * 1024);
      },
      { concurrency: 30 },
    );
    let done = 0;
    worker.on('completed', () => done++);
    await waitFor(async () => (await queue.getJobCounts()).active === 30, 10_000, 'all running');
    open.open();
    await waitFor(() => done === 30, 20_000, 'all completed');
    // and one call takes at most about MAX_ACK_BYTES of them (at least one ack)
    const settlement = new Settlement<unknown, unknown>(undefined as never, 'default', 'sluice', '{}', {
      completed: () => undefined,
      lost: () => undefined,
      error: () => undefined,
    });
    for (let i = 0; i < 30; i++)
      settlement.push({
        id: String(i),
        token: 't',
        returnvalue: 'x'.repeat(400 * 1024),
        keep: [-1, -1],
        job: undefined as never,
        result: undefined,
      });
    const first = settlement.take();
    expect(first.length).toBe(Math.floor(MAX_ACK_BYTES / (400 * 1024)));
    settlement.push({
      id: 'huge',
      token: 't',
      returnvalue: 'x'.repeat(MAX_ACK_BYTES * 2),
      keep: [-1, -1],
      job: undefined as never,
      result: undefined,
    });
    let calls = 1;
    while (settlement.size > 0) {
      expect(settlement.take().length).toBeGreaterThanOrEqual(1);
      calls++;
    }
    expect(calls).toBeGreaterThanOrEqual(4);
  });

  // regression: at low load a job cost more script calls than add, lease and ack
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
});
