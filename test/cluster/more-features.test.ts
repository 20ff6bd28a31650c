// More of sluice on a real 3-master Redis Cluster (test/helpers/cluster.ts), one representative
// test per standalone file that had no cluster counterpart, each on a queue whose slot a
// different master serves: deduplication ids held for their ttl (test/scheduling/dedup),
// delayed jobs due together run in add order (scheduling/due-order), promoteJobs waking an idle
// worker (scheduling/promote-jobs), add { wait } woken by the room stream read on the slot's master
// (flow-control/backpressure), the global concurrency cap across workers
// (flow-control/global-concurrency), and remove() for one fan-out group (fanout/removal).
import { describe, expect, it } from 'vitest';
import { ClosedError, type Job, QueueFullError } from '../../src/index.js';
import { ADMIN_BATCH } from '../../src/limits.js';
import { partitionKeys } from '../../src/partitions/layout.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { gate } from '../helpers/tools.js';
import { useCluster } from '../helpers/use-cluster.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `m${i}`);
const HOUR = 3_600_000;

describe('Redis Cluster: more features', () => {
  const t = useCluster();
  /** The name of a queue served by master `index` (0-2), for this test's prefix. */
  const nameOn = async (index: number) => (await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 3))[index]!;

  it('dedup: an id with a ttl stays held after its job completed and was removed; a second add does not extend it', async () => {
    t.newPrefix();
    const name = await nameOn(0);
    const queue = t.queue(name, { defaultJobOptions: { removeOnComplete: true } });
    const runs: string[] = [];
    t.worker(name, async (job) => void runs.push(job.id));
    const first = await queue.add('a', 1, { deduplication: { id: 'x', ttl: 600_000 } });
    await waitFor(() => runs.length === 1, 10_000, 'the first job');
    await waitFor(async () => (await t.admin.exists(queue.keys.job(first.id))) === 0, 10_000, 'its record removed');
    const left = await t.admin.pttl(queue.keys.dedup('x'));
    expect(left).toBeGreaterThan(0);
    const again = await queue.add('a', 2, { deduplication: { id: 'x', ttl: 600_000 } });
    expect(again.id).toBe(first.id);
    expect(await t.admin.pttl(queue.keys.dedup('x'))).toBeLessThanOrEqual(left);
    expect(await queue.getDeduplicationJobId('x')).toBe(first.id);
    // a plain add after it runs; the deduplicated second add never did
    const marker = await queue.add('m', 3);
    await waitFor(() => runs.includes(marker.id), 10_000, 'the marker job');
    expect(runs).toEqual([first.id, marker.id]);
  });

  it('due order: 30 jobs added with one delay in one addBulk run in the order they were added', async () => {
    t.newPrefix();
    const name = await nameOn(1);
    const queue = t.queue<number>(name);
    const jobs = await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'n', data: i, opts: { delay: 200 } })));
    // one script call: one due time for all of them
    const dues = await Promise.all(jobs.map((j) => t.admin.hget(queue.keys.job(j.id), 'du')));
    expect(new Set(dues).size).toBe(1);
    expect(await queue.getJobIds('delayed')).toEqual(jobs.map((j) => j.id));
    const ran: number[] = [];
    t.worker<number>(name, async (job) => void ran.push(job.data), { blockMs: 300 });
    await waitFor(() => ran.length === 30, 10_000, 'all 30 ran');
    expect(ran).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('promoteJobs: more delayed jobs than a batch, due in an hour, run at once on a worker idle for a minute', async () => {
    t.newPrefix();
    const name = await nameOn(2);
    const queue = t.queue<number>(name);
    const total = ADMIN_BATCH + 37;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'later', data: i, opts: { delay: HOUR } })));
    const worker = t.worker<number>(name, async (job) => job.data, { blockMs: 60_000, concurrency: 50 });
    // a first job, so the worker is idle (blocked on its marker on the slot's master) when the promotion comes
    const warm = waitForEvent(worker, 'completed', 5_000);
    await queue.add('warm-up', -1);
    await warm;
    expect((await queue.getJobCounts()).delayed).toBe(total);
    const done = collectEvents<Job<number>>(worker, 'completed', total, 15_000);
    expect(await queue.promoteJobs()).toBe(total);
    expect((await done).map((j) => j.data).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(await queue.getJobCounts()).toMatchObject({ delayed: 0, waiting: 0, active: 0 });
  });

  it('backpressure: add { wait } gives up after its wait, is woken when a worker makes room, and ends when the queue closes', async () => {
    t.newPrefix();
    const name = await nameOn(0);
    const queue = t.queue<number>(name, { maxLength: 5 });
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', data: i })));
    await expect(queue.add('n', 98)).rejects.toBeInstanceOf(QueueFullError);
    const started = Date.now();
    await expect(queue.add('n', 99, { wait: 300 })).rejects.toBeInstanceOf(QueueFullError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);

    // the room waiter blocks on the room stream (a cluster client's read on the slot's master):
    // a worker's leases write it, and the waiting add goes through long before its deadline
    const waitStarted = Date.now();
    const waiting = queue.add('n', 100, { wait: 20_000 });
    const seen: number[] = [];
    t.worker<number>(name, async (job) => void seen.push(job.data), { blockMs: 300 });
    expect((await waiting).data).toBe(100);
    expect(Date.now() - waitStarted).toBeLessThan(5000);
    await waitFor(() => seen.includes(100), 10_000, 'the waited-for job runs');

    // closing a queue ends its wait at once
    const other = await nameOn(1);
    const closing = t.queue<number>(other, { maxLength: 2 });
    await closing.addBulk([1, 2].map((n) => ({ name: 'n', data: n })));
    const pending = closing.add('n', 3, { wait: 20_000 }).catch((e: unknown) => e);
    const room = () => (closing as unknown as { writer: { roomWaiter?: { waiters: Set<unknown> } } }).writer.roomWaiter;
    await waitFor(() => room()?.waiters.size === 1, 5000, 'the add waits for room');
    const closeStarted = Date.now();
    await closing.close();
    expect(await pending).toBeInstanceOf(ClosedError);
    expect(Date.now() - closeStarted).toBeLessThan(2000);
    expect((await t.queue(other).getJobCounts()).waiting).toBe(2);
  });

  it('global concurrency: three workers of concurrency 4 run at most 2 jobs at once; raised to 5 at run time, 5 run', async () => {
    t.newPrefix();
    const name = await nameOn(1);
    const queue = t.queue<number>(name);
    await queue.setGlobalConcurrency(2);
    expect(await queue.getGlobalConcurrency()).toBe(2);
    let running = 0;
    let max = 0;
    let done = 0;
    const held = gate();
    const processor = async () => {
      running++;
      max = Math.max(max, running);
      await held.promise;
      running--;
      done++;
    };
    for (let w = 0; w < 3; w++) t.worker(name, processor, { concurrency: 4 });
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'job', data: i })));
    await waitFor(() => running === 2, 10_000, 'two jobs held at the gate');
    // Redis agrees: two leased, nothing leased ahead past the cap by any of the twelve slots
    expect(await queue.getJobCounts()).toMatchObject({ active: 2, waiting: 18 });
    await queue.setGlobalConcurrency(5);
    await waitFor(() => running === 5, 10_000, 'five jobs held once the cap is 5');
    expect(await queue.getJobCounts()).toMatchObject({ active: 5, waiting: 15 });
    held.open();
    await waitFor(() => done === 20, 15_000, 'every job done');
    expect(max).toBe(5);
  });

  it('fan-out removal: a job one group has read is removed for a group that has not; a third that has not still gets it', async () => {
    t.newPrefix();
    const name = await nameOn(2);
    const queue = t.queue(name);
    for (const g of ['billing', 'email', 'audit']) await queue.createGroup(g);
    const recorder = (group: string) => {
      const ran: string[] = [];
      t.worker(name, async (job) => void ran.push(job.id), { group, blockMs: 500 });
      return ran;
    };
    const job = await queue.add('order', { n: 1 }, { jobId: 'order-1' });
    const billed = recorder('billing');
    await waitFor(() => billed.includes(job.id), 10_000, 'billing to run it');
    await queue.remove(job.id, { group: 'email' });
    // audit, which had not received it either, gets its own copy at once; then the published record goes
    expect(await t.admin.exists(queue.keys.group('audit').job(job.id))).toBe(1);
    expect(await t.admin.exists(queue.keys.group('email').job(job.id))).toBe(0);
    expect(await t.admin.exists(queue.keys.job(job.id))).toBe(0);
    const marker = await queue.add('marker', { n: 2 });
    const emailed = recorder('email');
    const audited = recorder('audit');
    await waitFor(() => emailed.includes(marker.id) && audited.includes(marker.id), 10_000, 'both groups to reach the marker');
    expect(emailed).toEqual([marker.id]);
    expect(audited).toEqual([job.id, marker.id]);
  });

  it('the lease guard renews on a Cluster: jobs blocking the loop for three leases keep them, in each of two partitions', async () => {
    t.newPrefix();
    const name = await nameOn(1);
    const queue = t.queue(name, { partitions: 2 });
    // the queue's partitions are written before the worker starts: a worker that finds the queue
    // unpartitioned consumes nothing and says so (an error), and the test would wait in vain
    await queue.waitUntilReady();
    const keys = partitionKeys(t.prefix, name, 2);
    const left = new Map<number, number>();
    t.worker<number>(
      name,
      async (job) => {
        const end = Date.now() + 1500;
        while (Date.now() < end) {
          // busy: only the guard's thread can renew
        }
        // sent at once: the first read after the block goes before the worker's own late renewal
        const deadlines = keys.map((k) => t.admin.zscore(k.group('default').active, job.id));
        const deadline = Math.max(...(await Promise.all(deadlines)).map(Number));
        left.set(job.data, deadline - Date.now());
      },
      { leaseMs: 500 },
    );
    // one job per partition (round robin), run one after the other
    await queue.addBulk([
      { name: 'a', data: 1 },
      { name: 'b', data: 2 },
    ]);
    await waitFor(() => left.size === 2, 30_000, 'both blocking jobs done');
    expect([...left.values()].every((ms) => ms > 0)).toBe(true);
  });
});
