// Fan-out consumer groups: every group gets every job, keeps its own state, and can replay the
// history the queue retains.
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GroupActiveError, InvalidOptionError, QueueEvents, type Job } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { gate } from '../helpers/tools.js';
import { collectEvents, waitFor } from '../helpers/wait.js';

describe('consumer groups', () => {
  const t = useRedis();

  it('every group processes every job once: plain, own-id, delayed and prioritised jobs', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('orders');
    const groups = ['billing', 'email', 'analytics'];
    for (const g of groups) expect(await queue.createGroup(g)).toBe(true);
    expect(await queue.createGroup('billing')).toBe(false);
    const seen = new Map<string, string[]>(groups.map((g) => [g, []]));
    for (const g of groups) {
      t.worker<{ i: number }>(
        'orders',
        async (job) => {
          seen.get(g)!.push(job.id);
          return `${g}:${job.data.i}`;
        },
        { group: g, concurrency: 5, blockMs: 500 },
      );
    }
    const plain = await queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ name: 'order', data: { i } })));
    const own = await queue.add('order', { i: 1000 }, { jobId: 'order-1000' });
    const delayed = await queue.add('order', { i: 1001 }, { delay: 150 });
    const prio = await queue.add('order', { i: 1002 }, { priority: 3 });
    const ids = [...plain.map((j) => j.id), own.id, delayed.id, prio.id];
    for (const g of groups) {
      await waitFor(
        async () => (await queue.getJobCounts({ group: g })).completed === ids.length,
        15_000,
        `group ${g} completes every job`,
      );
    }
    for (const g of groups) {
      expect([...seen.get(g)!].sort()).toEqual([...ids].sort());
      const counts = await queue.getJobCounts({ group: g });
      expect(counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: ids.length });
      const job = await queue.getJob(own.id, { group: g });
      expect(job!.returnvalue).toBe(`${g}:1000`);
      expect(job!.group).toBe(g);
      expect(await job!.getState()).toBe('completed');
    }
    // the default group was never used: it is not a subscriber and holds nothing
    expect((await queue.getGroups()).map((g) => g.name)).toEqual(['analytics', 'billing', 'email']);
    // nothing left in the stream once every group has read it
    expect(await t.admin.xlen(queue.keys.stream)).toBeLessThan(150);
  });

  it('attempts, backoff and failures are per group: a job failing in one group is retried there only', async () => {
    t.newPrefix();
    const queue = t.queue('orders');
    await queue.createGroup('billing');
    await queue.createGroup('email');
    const billingRuns: string[] = [];
    const emailRuns: string[] = [];
    t.worker(
      'orders',
      async (job) => {
        billingRuns.push(job.id);
        return 'billed';
      },
      { group: 'billing', blockMs: 300 },
    );
    t.worker(
      'orders',
      async (job: Job) => {
        emailRuns.push(job.id);
        if (job.attemptsMade === 0) throw new Error('smtp down');
        if (job.data === 'poison') throw new Error('bad address');
        return 'sent';
      },
      { group: 'email', blockMs: 300 },
    );
    const ok = await queue.add('o', 'ok', { attempts: 3, backoff: { type: 'fixed', delay: 20 } });
    const poison = await queue.add('o', 'poison', { attempts: 2 });
    await waitFor(
      async () =>
        (await queue.getJobCounts({ group: 'email' })).failed === 1 && (await queue.getJobCounts({ group: 'email' })).completed === 1,
      10_000,
      'email settles both',
    );
    await waitFor(async () => (await queue.getJobCounts({ group: 'billing' })).completed === 2, 10_000, 'billing completes both');
    expect(billingRuns.sort()).toEqual([ok.id, poison.id].sort());
    expect(emailRuns.filter((id) => id === ok.id)).toHaveLength(2);
    expect(emailRuns.filter((id) => id === poison.id)).toHaveLength(2);
    const billed = await queue.getJob(ok.id, { group: 'billing' });
    const emailed = await queue.getJob(ok.id, { group: 'email' });
    expect(billed!.attemptsMade).toBe(0);
    expect(emailed!.attemptsMade).toBe(1);
    expect(await queue.getJobIds('failed', 0, -1, { group: 'email' })).toEqual([poison.id]);
    expect(await queue.getJobIds('failed', 0, -1, { group: 'billing' })).toEqual([]);
    expect((await queue.getJob(poison.id, { group: 'email' }))!.failedReason).toBe('bad address');
    // a redrive in one group leaves the other alone
    await queue.retryJobs({ group: 'email' });
    await waitFor(
      async () => (await queue.getJobCounts({ group: 'email' })).failed === 1 && emailRuns.length === 6,
      10_000,
      'email retried the poison job',
    );
    expect(billingRuns).toHaveLength(2);
  });

  it('a group created from now, on a stream with history, counts exactly what it has not read', async () => {
    t.newPrefix();
    const queue = t.queue('exact');
    await queue.createGroup('first');
    for (let i = 0; i < 3; i++) await queue.add('old', i);
    await queue.createGroup('late');
    await queue.add('new', 99);
    const late = (await queue.getGroups()).find((g) => g.name === 'late');
    expect(late).toMatchObject({ unread: 1, unreadExact: true });
    expect(await queue.getJobCounts({ group: 'late' })).toMatchObject({ waiting: 1 });
  });

  it('a group created with from: "start" replays the retained jobs in order, then live ones', async () => {
    t.newPrefix();
    const queue = t.queue<number>('history', { retention: { maxLen: 5000 } });
    const done = t.worker('history', async () => null, { concurrency: 10, blockMs: 300 });
    const first = await queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: 'e', data: i })));
    await waitFor(async () => (await queue.getJobCounts()).completed === 1000, 15_000, 'the default group consumed the history');
    // everything was read by the only group, and retention kept it
    expect(await t.admin.xlen(queue.keys.stream)).toBe(1000);

    expect(await queue.createGroup('audit', { from: 'start' })).toBe(true);
    const order: number[] = [];
    const audit = t.worker<number>(
      'history',
      async (job) => {
        order.push(job.data);
      },
      { group: 'audit', concurrency: 1, blockMs: 300 },
    );
    await waitFor(() => order.length === 1000, 15_000, 'the history replayed');
    const live = await queue.addBulk(Array.from({ length: 100 }, (_, i) => ({ name: 'e', data: 1000 + i })));
    await waitFor(() => order.length === 1100, 10_000, 'live jobs after the history');
    expect(order).toEqual(Array.from({ length: 1100 }, (_, i) => i));
    expect(first.length + live.length).toBe(1100);
    await audit.close();
    await done.close();
  });

  it('a group created from a time receives the jobs added from then on', async () => {
    t.newPrefix();
    const queue = t.queue<number>('from-time', { retention: { maxAgeMs: 60_000 } });
    await queue.createGroup('early', { from: 'start' });
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'e', data: i })));
    const [secs, micros] = await t.admin.time();
    const at = Number(secs) * 1000 + Math.floor(Number(micros) / 1000) + 1;
    await waitFor(
      async () => Number((await t.admin.time())[0]) * 1000 + Math.floor(Number((await t.admin.time())[1]) / 1000) > at,
      2000,
      'the clock passes the cut',
    );
    await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'e', data: 10 + i })));
    await queue.createGroup('late', { from: at });
    const got: number[] = [];
    t.worker<number>(
      'from-time',
      async (job) => {
        got.push(job.data);
      },
      { group: 'late', blockMs: 300 },
    );
    await waitFor(() => got.length === 10, 10_000, 'the late group gets the second half');
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    await expect(queue.createGroup('bad', { from: -5 as number })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('the stream stays bounded under a long run with retention, and a lagging group keeps what it has not read', async () => {
    t.newPrefix();
    const maxLen = 1000;
    const queue = t.queue<number>('long', { retention: { maxLen }, events: { maxLen: 0 } });
    await queue.createGroup('fast');
    await queue.createGroup('slow');
    const done = { fast: 0, slow: 0 };
    t.worker('long', async () => void done.fast++, { group: 'fast', concurrency: 20, blockMs: 300 });
    // a gate that can be closed again: the slow group's jobs wait while it is closed
    const slowGate = {
      promise: Promise.resolve(),
      open: () => {},
      close() {
        this.promise = new Promise<void>((resolve) => (this.open = resolve));
      },
    };
    t.worker(
      'long',
      async () => {
        await slowGate.promise;
        done.slow++;
      },
      { group: 'slow', concurrency: 20, blockMs: 300 },
    );
    // a long run with both groups keeping up: the stream holds the retention, not the run
    const lengths: number[] = [];
    let sent = 0;
    const batch = async () => {
      await queue.addBulk(Array.from({ length: 1000 }, (_, i) => ({ name: 'e', data: sent + i, opts: { removeOnComplete: true } })));
      sent += 1000;
    };
    for (let round = 0; round < 20; round++) {
      await batch();
      await waitFor(() => done.fast === sent && done.slow === sent, 20_000, `both groups read round ${round}`);
      lengths.push(await t.admin.xlen(queue.keys.stream));
    }
    // trimming drops whole stream nodes (100 entries): the retention plus at most a node or two
    expect(Math.max(...lengths)).toBeLessThanOrEqual(maxLen + 200);
    expect(Math.min(...lengths.slice(2))).toBeGreaterThanOrEqual(maxLen);

    // the slow group stalls: what it has not read stays, beyond the retention
    slowGate.close();
    for (let round = 0; round < 5; round++) await batch();
    await waitFor(() => done.fast === sent, 20_000, 'fast keeps up');
    const unreadBySlow = sent - done.slow - 200; // minus what its workers hold
    expect(await t.admin.xlen(queue.keys.stream)).toBeGreaterThanOrEqual(unreadBySlow);
    slowGate.open();
    await waitFor(() => done.slow === sent, 30_000, 'slow catches up');
    await batch();
    await waitFor(() => done.fast === sent && done.slow === sent, 20_000, 'both read the last round');
    expect(await t.admin.xlen(queue.keys.stream)).toBeLessThanOrEqual(maxLen + 200);
  });

  it('a worker of a group that does not exist creates it (from now) and says so in the log', async () => {
    t.newPrefix();
    const queue = t.queue('auto');
    await queue.add('before', 1);
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const got: unknown[] = [];
    const worker = t.worker('auto', async (job) => void got.push(job.data), { group: 'reports', blockMs: 300, logger });
    await worker.waitUntilReady();
    await waitFor(() => lines.some((l) => l.includes('consumer group \\"reports\\" did not exist')), 5000, 'the log line');
    await queue.add('after', 2);
    await waitFor(() => got.length === 1, 5000, 'the job added after');
    expect(got).toEqual([2]);
    expect((await queue.getGroups()).map((g) => g.name)).toContain('reports');
  });

  it('removeGroup unsubscribes a group and deletes its records; refused while it has active jobs', async () => {
    t.newPrefix();
    const queue = t.queue('rm');
    await queue.createGroup('keep');
    await queue.createGroup('drop');
    const hold = gate();
    t.worker('rm', async () => 'kept', { group: 'keep', blockMs: 300 });
    const dropWorker = t.worker(
      'rm',
      async () => {
        await hold.promise;
        return 'dropped';
      },
      { group: 'drop', blockMs: 300 },
    );
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'e', data: i })));
    await waitFor(async () => (await queue.getJobCounts({ group: 'drop' })).active === 1, 5000, 'drop busy');
    await expect(queue.removeGroup('drop')).rejects.toBeInstanceOf(GroupActiveError);
    hold.open();
    await waitFor(async () => (await queue.getJobCounts({ group: 'drop' })).completed === 5, 5000, 'drop done');
    await dropWorker.close();
    await queue.removeGroup('drop');
    expect((await queue.getGroups()).map((g) => g.name)).toEqual(['keep']);
    expect(await t.admin.keys(`${queue.keys.base}g:drop:*`)).toEqual([]);
    await waitFor(async () => (await queue.getJobCounts({ group: 'keep' })).completed === 5, 5000, 'keep done');
    // jobs added afterwards reach the remaining group only, and the stream is not kept for the removed one
    await queue.add('e', 99);
    await waitFor(async () => (await queue.getJobCounts({ group: 'keep' })).completed === 6, 5000, 'keep gets the next');
    expect(await t.admin.keys(`${queue.keys.base}g:drop:*`)).toEqual([]);
  });

  it('per-group QueueEvents, waitUntilFinished and call; pause is per group', async () => {
    t.newPrefix();
    const queue = t.queue<number, string>('rpc');
    await queue.createGroup('fast');
    await queue.createGroup('slow');
    t.worker<number, string>('rpc', async (job) => `fast:${job.data}`, { group: 'fast', blockMs: 300 });
    t.worker<number, string>('rpc', async (job) => `slow:${job.data}`, { group: 'slow', blockMs: 300 });
    const fastEvents = new QueueEvents('rpc', { connection: t.url, prefix: t.prefix, group: 'fast', logger: quietLogger });
    const slowEvents = new QueueEvents('rpc', { connection: t.url, prefix: t.prefix, group: 'slow', logger: quietLogger });
    try {
      await Promise.all([fastEvents.waitUntilReady(), slowEvents.waitUntilReady()]);
      const fastDone = collectEvents<{ jobId: string; returnvalue: unknown }>(fastEvents, 'completed', 3);
      const slowDone = collectEvents<{ jobId: string; returnvalue: unknown }>(slowEvents, 'completed', 3);
      const added = collectEvents<{ jobId: string }>(slowEvents, 'added', 3);
      const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'n', data: n })));
      expect((await fastDone).map((e) => e.returnvalue).sort()).toEqual(['fast:1', 'fast:2', 'fast:3']);
      expect((await slowDone).map((e) => e.returnvalue).sort()).toEqual(['slow:1', 'slow:2', 'slow:3']);
      expect((await added).map((e) => e.jobId)).toEqual(jobs.map((j) => j.id));
      expect(await jobs[0]!.waitUntilFinished(slowEvents, 5000)).toBe('slow:1');

      expect(await queue.call('n', 7, { group: 'slow', timeout: 5000 })).toBe('slow:7');
      expect(await queue.call('n', 8, { group: 'fast', timeout: 5000 })).toBe('fast:8');

      await queue.pause({ group: 'slow' });
      expect(await queue.isPaused({ group: 'slow' })).toBe(true);
      expect(await queue.isPaused({ group: 'fast' })).toBe(false);
      const paused = await queue.add('n', 9);
      expect(await paused.waitUntilFinished(fastEvents, 5000)).toBe('fast:9');
      expect((await queue.getJobCounts({ group: 'slow' })).waiting).toBe(1);
      await queue.resume({ group: 'slow' });
      expect(await paused.waitUntilFinished(slowEvents, 5000)).toBe('slow:9');
    } finally {
      await fastEvents.close();
      await slowEvents.close();
    }
  });

  it('a job id stays taken while some group still has the job; removal is per group', async () => {
    t.newPrefix();
    const queue = t.queue('ids');
    await queue.createGroup('a');
    await queue.createGroup('b');
    const first = await queue.add('e', 'first', { jobId: 'order-7' });
    const again = await queue.add('e', 'second', { jobId: 'order-7' });
    expect(again.data).toBe('first');
    t.worker('ids', async (job) => job.data, { group: 'a', blockMs: 300 });
    await waitFor(async () => (await queue.getJobCounts({ group: 'a' })).completed === 1, 5000, 'a done');
    expect((await queue.add('e', 'third', { jobId: 'order-7' })).data).toBe('first');
    await queue.remove(first.id, { group: 'a' });
    expect(await queue.getJob(first.id, { group: 'a' })).toBeUndefined();
    // b has not met it yet: it still gets it
    const bGot: unknown[] = [];
    t.worker('ids', async (job) => void bGot.push(job.data), { group: 'b', blockMs: 300 });
    await waitFor(() => bGot.length === 1, 5000, 'b gets the job');
    expect(bGot).toEqual(['first']);
    await expect(queue.getJobCounts({ group: 'bad:name' })).rejects.toThrow(/group name/);
  });

  it("drain is per group, and obliterate deletes every group's records", async () => {
    t.newPrefix();
    const queue = t.queue('wipe');
    await queue.createGroup('a');
    await queue.createGroup('b');
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'e', data: i })));
    await queue.add('e', 'own', { jobId: 'own-1' });
    await queue.add('e', 'prio', { priority: 2 });
    t.worker('wipe', async () => 'ok', { group: 'a', blockMs: 300 });
    await waitFor(async () => (await queue.getJobCounts({ group: 'a' })).completed === 22, 5000, 'a done');
    expect((await queue.getJobCounts({ group: 'b' })).waiting).toBe(22);
    expect((await queue.getJobs('waiting', 0, -1, { group: 'b' })).map((j) => j.data)).toContain('own');
    expect(await queue.drain(false, { group: 'b' })).toBe(22);
    expect((await queue.getJobCounts({ group: 'b' })).waiting).toBe(0);
    expect((await queue.getJobCounts({ group: 'a' })).completed).toBe(22);
    await queue.obliterate({ force: true });
    expect(await t.admin.keys(`${queue.keys.base}*`)).toEqual([]);
  });

  // regression: jobs added before any group were lost to the default group when another group was created first
  it("jobs added before any group stay the default group's when another group is created first", async () => {
    t.newPrefix();
    const queue = t.queue<number>('implicit');
    await queue.addBulk(Array.from({ length: 150 }, (_, i) => ({ name: 'n', data: i })));
    await queue.createGroup('audit');
    await queue.addBulk(Array.from({ length: 150 }, (_, i) => ({ name: 'n', data: 150 + i })));
    const audit: number[] = [];
    const plain: number[] = [];
    t.worker<number>('implicit', async (job) => void audit.push(job.data), { group: 'audit', blockMs: 300 });
    await waitFor(() => audit.length === 150, 5000, 'audit reads its 150');
    t.worker<number>('implicit', async (job) => void plain.push(job.data), { blockMs: 300 });
    await waitFor(() => plain.length === 300, 5000, 'the default group gets all 300');
    expect(audit[0]).toBe(150);
  });

  // regression: draining a group that did not exist subscribed it
  it('draining a group that does not exist does not subscribe it', async () => {
    t.newPrefix();
    const queue = t.queue('no-sub');
    await queue.createGroup('billing');
    await queue.add('n', 1);
    expect(await queue.drain(false, { group: 'typo' })).toBe(0);
    expect((await queue.getGroups()).map((g) => g.name)).toEqual(['billing']);
  });

  // regression: without a default group, a removed group kept published records (and their ids) forever
  it('without a default group, a removed group does not keep published records (or their ids) forever', async () => {
    t.newPrefix();
    const queue = t.queue<string>('pend');
    await queue.createGroup('billing');
    await queue.createGroup('email');
    await queue.add('n', 'first', { jobId: 'order-1' });
    t.worker<string>('pend', async (job) => job.data, { group: 'billing', blockMs: 300 });
    await waitFor(async () => (await queue.getJobCounts({ group: 'billing' })).completed === 1, 5000, 'billing done');
    await queue.removeGroup('email');
    expect(await t.admin.exists(queue.keys.job('order-1'))).toBe(0);
    // the id is still billing's while billing keeps the job; once gone there, it is free again
    await queue.remove('order-1', { group: 'billing' });
    const again = await queue.add('n', 'second', { jobId: 'order-1' });
    expect(again.data).toBe('second');
    await waitFor(async () => (await queue.getJobCounts({ group: 'billing' })).completed === 1, 5000, 'billing runs it again');
  });
});
