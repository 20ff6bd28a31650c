// What an idle worker and a job at low load cost Redis, counted structurally (INFO commandstats on
// the file's own server, the commands run inside scripts included): an idle worker blocks again
// at its block timeout rather than lease; a job that reaches an idle worker is one lease and one
// ack, with no second lease that only finds the queue empty; a lease peeks only at the features
// in use (docs/performance.md).
import { describe, expect, it } from 'vitest';
import { counted, LEASE_CONFIG, scriptsFor } from '../helpers/counting.js';
import { useRedis } from '../helpers/setup.js';
import { commandStats, gate } from '../helpers/tools.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('low-load cost', () => {
  const t = useRedis();
  /** Clients blocked in Redis now: the worker's blocking read on its wake marker. */
  const blocked = async () => Number(/blocked_clients:(\d+)/.exec(await t.admin.info('clients'))?.[1]);

  /** The CLIENT LIST line of the worker's blocking connection. */
  const blockingClient = async () =>
    String(await t.admin.client('LIST'))
      .split('\n')
      .find((l) => l.includes('name=sluice:blocking:'));
  /** Bytes of commands waiting behind the connection's blocked read (a lease sent behind it). */
  const queuedBehind = (line: string | undefined) => Number(/ qbuf=(\d+)/.exec(line ?? '')?.[1] ?? 0);

  it('an idle worker blocks again at each block timeout: no lease in five of them', async () => {
    t.newPrefix();
    const queue = t.queue('idle');
    const worker = t.worker('idle', async () => 1, { blockMs: 100, metrics: false });
    await queue.add('warm-up', null);
    await waitForEvent(worker, 'completed');
    await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks');
    // the lease it sent behind its first read (it had just run a job) runs at that read's
    // timeout and finds nothing: from then on it blocks plainly
    await waitFor(async () => queuedBehind(await blockingClient()) === 0 && (await blocked()) === 1, 5000, 'a plain block');
    const before = await commandStats(t.admin);
    await waitFor(async () => ((await commandStats(t.admin)).bzpopmin ?? 0) >= (before.bzpopmin ?? 0) + 5, 5000, 'five block timeouts');
    const after = await commandStats(t.admin);
    // no lease (it would read the stream); at most the partitions watch, every 6 block timeouts
    expect((after.xreadgroup ?? 0) - (before.xreadgroup ?? 0)).toBe(0);
    expect((after.evalsha ?? 0) - (before.evalsha ?? 0)).toBeLessThanOrEqual(1);
    // and it still wakes for work
    const done = waitForEvent(worker, 'completed', 5000);
    await queue.add('later', null);
    await done;
  });

  // regression: the woken lease's look for more work indexed the newest stream entry, and a
  // retention of maxLen 0 had just trimmed the stream empty: the script failed after its read
  it('a woken lease whose trim empties the stream (retention maxLen 0) leases, and the worker goes on', async () => {
    t.newPrefix();
    const queue = t.queue('keep0', { retention: { maxLen: 0 } });
    const errors: Error[] = [];
    const worker = t.worker('keep0', async (j) => j.data, { concurrency: 1, prefetch: 0, blockMs: 1000, metrics: false });
    worker.on('error', (err) => errors.push(err));
    await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks');
    for (let i = 0; i < 3; i++) {
      const done = waitForEvent(worker, 'completed', 5000);
      await queue.add('one', i);
      await done;
      await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks again');
    }
    expect(errors).toEqual([]);
  });

  it("a job leased by a worker that dies while the other one idles is reclaimed at its lease's end, not a minute later", async () => {
    t.newPrefix();
    const queue = t.queue('reclaim');
    const leaseMs = 1500;
    const ran: string[] = [];
    // its first lease finds nothing at all: no due time it could check later
    const idle = t.worker('reclaim', async (j) => ran.push(j.name), { blockMs: 200, leaseMs, metrics: false });
    await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks');
    // another worker took the job's wake and leased it, and died holding it (never renewed): the
    // idle worker's last lease came before, and no wake is left for it (a plain job's stream
    // entry written without the wake an add writes)
    const { scripts } = scriptsFor(t.admin, t.prefix, 'reclaim');
    await t.admin.xadd(queue.keys.stream, '*', 'n', 'orphan', 'd', 'null', 'o', '{}');
    const taken = await scripts.lease('default', 'sluice', 'dead1', 1, JSON.stringify({ leaseMs, maxStalls: 3, keepFailed: [100, -1] }));
    expect(taken.jobs.map((j) => j.name)).toEqual(['orphan']);
    // reclaimed once its lease ran out (the idle worker leases at least once per leaseMs)
    await waitForEvent(idle, 'stalled', 2 * leaseMs + 2000);
    await waitFor(() => ran.includes('orphan'), 3000, 'the orphan run by the idle worker');
  });

  it('a delayed job wakes no one before it is due: one lease, at its due time', async () => {
    t.newPrefix();
    const queue = t.queue('later');
    const started: number[] = [];
    const running = gate();
    // the job holds its only slot until the count is read: a worker that just ran a job sends a
    // lease behind its next blocking read, which would count once more at that read's timeout
    const worker = t.worker(
      'later',
      async (j) => {
        started.push(j.processedOn!);
        await running.promise;
      },
      { blockMs: 100, concurrency: 1, metrics: false },
    );
    await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks');
    const before = await commandStats(t.admin);
    const job = await queue.add('later', null, { delay: 800 });
    await waitFor(() => started.length === 1, 5000, 'the delayed job runs');
    const after = await commandStats(t.admin);
    running.open();
    // the marker held the due time: the idle worker leased once, then, and not before
    expect((after.xreadgroup ?? 0) - (before.xreadgroup ?? 0)).toBe(1);
    expect(started[0]).toBeGreaterThanOrEqual(job.timestamp + 800);
    expect(worker.isRunning()).toBe(true);
  });

  it('a job reaching a worker just busy (c=1, no prefetch) is one add, one lease sent behind the blocking read, one ack', async () => {
    t.newPrefix();
    const queue = t.queue('behind');
    // (a block timeout far past what the test takes to see each lease waiting, on a loaded machine too)
    const worker = t.worker('behind', async () => 1, { concurrency: 1, prefetch: 0, blockMs: 30_000, metrics: false });
    // idle first: the warm-up then goes to a woken lease, after which the worker sends its next
    // lease behind its read (a first lease that found the warm-up already there would not)
    await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks');
    await queue.add('warm-up', null);
    await waitForEvent(worker, 'completed');
    for (let round = 0; round < 3; round++) {
      // blocked, with the lease waiting in the connection's query buffer behind the read
      await waitFor(async () => (await blocked()) === 1 && queuedBehind(await blockingClient()) > 0, 10_000, 'a lease behind the read');
      const before = await commandStats(t.admin);
      const done = waitForEvent(worker, 'completed', 5000);
      await queue.add('job', { round });
      await done;
      await waitFor(async () => (await blocked()) === 1, 5000, 'the worker blocks again');
      const after = await commandStats(t.admin);
      const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
      // the add, the lease that waited behind the read, the ack sent alone
      expect(delta('evalsha') + delta('eval')).toBe(3);
      // one stream read: the lease that took the job; no second lease found the stream empty
      expect(delta('xreadgroup')).toBe(1);
    }
  });

  it('a lease looks once for the optional features a group may use, and peeks only where one is in use', async () => {
    t.newPrefix();
    const queue = t.queue('quiet');
    const { scripts } = scriptsFor(t.admin, t.prefix, 'quiet');
    await queue.add('plain', null);
    // nothing paused, delayed, retrying, prioritised, scheduled or keyed: one EXISTS for them all,
    // no peek at the delayed set, the retries or the schedulers, no pop of the priorities
    const quiet = await counted(t.admin, () => scripts.lease('default', 'c1', 'n1', 2, LEASE_CONFIG));
    expect(quiet.value.jobs.map((j) => j.name)).toEqual(['plain']);
    expect(quiet.calls.exists).toBe(1);
    expect(quiet.calls.zpopmin).toBeUndefined();
    expect(quiet.calls.zrange).toBe(1); // the active set's head: leases that ran out
    expect(quiet.calls.lpop).toBeUndefined();
    // a lease that ran out, in a group still quiet: reclaimed and leased again in the same call
    const [taken] = quiet.value.jobs;
    await t.admin.zadd(queue.keys.group('default').active, 'XX', 1, taken!.id);
    const again = await scripts.lease('default', 'c2', 'n1b', 1, LEASE_CONFIG);
    expect(again.stalled).toEqual([taken!.id]);
    expect(again.jobs.map((j) => j.id)).toEqual([taken!.id]);
    // a prioritised and an ordered job: their structures exist, so the lease looks and takes them
    await queue.add('prio', null, { priority: 1 });
    await queue.add('keyed', null, { orderingKey: 'k' });
    const busy = await counted(t.admin, () => scripts.lease('default', 'c1', 'n2', 2, LEASE_CONFIG));
    expect(busy.value.jobs.map((j) => j.name).sort()).toEqual(['keyed', 'prio']);
    expect(busy.calls.zpopmin).toBe(1);
    // a paused group is seen as paused
    await queue.pause();
    await queue.add('held', null);
    const paused = await scripts.lease('default', 'c1', 'n3', 1, LEASE_CONFIG);
    expect(paused.paused).toBe(true);
    expect(paused.jobs).toEqual([]);
    await queue.resume();
    expect((await scripts.lease('default', 'c1', 'n4', 1, LEASE_CONFIG)).jobs.map((j) => j.name)).toEqual(['held']);
  });

  it('a read that ends at its block timeout runs the lease behind it for nothing, and the next reads go alone', async () => {
    t.newPrefix();
    const queue = t.queue('behind-idle');
    const worker = t.worker('behind-idle', async () => 1, { concurrency: 1, prefetch: 0, blockMs: 300, metrics: false });
    await queue.add('warm-up', null);
    await waitForEvent(worker, 'completed');
    await waitFor(async () => (await blocked()) === 1 && queuedBehind(await blockingClient()) === 0, 10_000, 'a plain block');
    const done = waitForEvent(worker, 'completed', 5000);
    await queue.add('later', null);
    await done;
  });
});
