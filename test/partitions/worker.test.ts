// A worker of a partitioned queue (docs/partitions.md): it consumes every partition with one
// concurrency shared by all, fairly, blocks on each partition's wake marker while idle, and
// learns the number of partitions from Redis.
import { describe, expect, it } from 'vitest';
import { PartitionsMismatchError, type Job } from '../../src/index.js';
import { partitionOfGeneratedId } from '../../src/partitions/layout.js';
import { addToPartition, jobsFor } from '../helpers/partitions.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

const t = useRedis();
type Data = { p: number; i: number };

describe('partitioned queue: the worker', () => {
  it('runs the jobs of every partition once; generated ids name their partition', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 4 };
    const seen = new Map<string, number>();
    const worker = t.worker<Data>(
      at.queue,
      async (job) => {
        seen.set(job.id, (seen.get(job.id) ?? 0) + 1);
      },
      { partitions: 4, concurrency: 8 },
    );
    await worker.waitUntilReady();
    const ids: string[] = [];
    for (let p = 0; p < 4; p++) {
      const added = await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 100));
      for (const id of added) expect(partitionOfGeneratedId(id, 4)).toBe(p);
      ids.push(...added);
    }
    expect(new Set(ids).size).toBe(400);
    await waitFor(() => seen.size === 400, 15_000, 'every job');
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    await waitFor(() => worker.health().processed === 400, 5000, 'every ack confirmed');
  });

  it('shares one concurrency across partitions: never more than `concurrency` jobs at once', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 4 };
    let running = 0;
    let most = 0;
    let done = 0;
    const worker = t.worker<Data>(
      at.queue,
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        done++;
      },
      { partitions: 4, concurrency: 3 },
    );
    await worker.waitUntilReady();
    for (let p = 0; p < 4; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 20));
    await waitFor(() => done === 80, 15_000, 'every job');
    expect(most).toBe(3);
  });

  it('is fair: a flooded partition does not starve the others', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 4 };
    await addToPartition(t.admin, { ...at, partition: 0 }, []); // nothing: the queue's layout first
    const order: number[] = [];
    const worker = t.worker<Data>(
      at.queue,
      async (job) => {
        order.push(job.data.p);
        await new Promise((r) => setTimeout(r, 1));
      },
      { partitions: 4, concurrency: 2, prefetch: 0, autorun: false },
    );
    // partition 0 holds 600 jobs, the others 20 each, before the worker starts
    await addToPartition(t.admin, { ...at, partition: 0 }, jobsFor(0, 600));
    for (let p = 1; p < 4; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 20));
    worker.run();
    await waitFor(() => order.length === 660, 20_000, 'every job');
    // the small partitions' last job ran before half of the flooded partition's jobs had
    const lastSmall = Math.max(...[1, 2, 3].map((p) => order.lastIndexOf(p)));
    if (process.env.SLUICE_DEBUG) console.log([1, 2, 3].map((p) => [order.indexOf(p), order.lastIndexOf(p)]));
    expect(lastSmall).toBeLessThan(330);
  });

  it('an idle worker is woken by a job in any partition, promptly', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 8 };
    const worker = t.worker<Data>(at.queue, async () => undefined, { partitions: 8 });
    await worker.waitUntilReady();
    const latencies: number[] = [];
    for (let round = 0; round < 16; round++) {
      const p = round % 8;
      // every partition's loop is blocked on its marker by now (the first lease found nothing)
      const done = waitForEvent<[Job]>(worker, 'completed', 5000);
      const sentAt = performance.now();
      await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 1));
      await done;
      latencies.push(performance.now() - sentAt);
    }
    latencies.sort((a, b) => a - b);
    if (process.env.SLUICE_REPORT)
      console.log(
        'partitions: idle worker wake-up, add → completed (ms)',
        latencies.map((l) => l.toFixed(1)),
      );
    // a poll would show as the block timeout (5 s); a wake takes a round trip or two
    expect(latencies[latencies.length - 1]!).toBeLessThan(500);
  });

  it('a worker without the option reads the number from Redis; another number is refused', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 3 };
    const first = t.worker<Data>(at.queue, async () => undefined, { partitions: 3 });
    await first.waitUntilReady();
    await first.close();
    const ran: number[] = [];
    const reader = t.worker<Data>(at.queue, async (job) => {
      ran.push(job.data.p);
    });
    await reader.waitUntilReady();
    for (let p = 0; p < 3; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 1));
    await waitFor(() => ran.length === 3, 5000, 'a job of each partition');
    expect(ran.sort()).toEqual([0, 1, 2]);
    const wrong = t.worker<Data>(at.queue, async () => undefined, { partitions: 5, allowErrors: true });
    const [err] = await waitForEvent<[Error]>(wrong, 'error', 5000);
    expect(err).toBeInstanceOf(PartitionsMismatchError);
    expect((err as PartitionsMismatchError).recorded).toBe(3);
    expect(err.message).toContain('has 3 partitions, not 5');
  });

  it('a worker started before the queue was partitioned says so, instead of serving nothing', async () => {
    t.newPrefix();
    const early = t.worker<Data>('late', async () => undefined, { blockMs: 200, allowErrors: true });
    await early.waitUntilReady();
    const said = waitForEvent<[Error]>(early, 'error', 5000);
    await t.queue('late', { partitions: 3 }).waitUntilReady();
    const [err] = await said;
    expect(err).toBeInstanceOf(PartitionsMismatchError);
    expect(err.message).toContain('was partitioned (3) after this worker started');
  });

  it('close() hands back what it leased ahead in every partition: another worker runs it, each job once', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 4 };
    const runs = new Map<string, number>();
    const count = (job: Job<Data>) => runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = t.worker<Data>(
      at.queue,
      async (job) => {
        count(job);
        await gate;
      },
      { partitions: 4, concurrency: 4, prefetch: 40 },
    );
    await first.waitUntilReady();
    for (let p = 0; p < 4; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 30));
    await waitFor(() => runs.size === 4, 5000, 'the first four jobs to start');
    const closing = first.close({ timeoutMs: 5000 });
    release();
    await closing;
    const second = t.worker<Data>(at.queue, async (job) => {
      count(job);
    });
    await second.waitUntilReady();
    await waitFor(() => runs.size === 120, 10_000, 'every job');
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('partitioned queue: ordered keys, retries and dead letters', () => {
  it('an ordering key lives in one partition: its jobs run one at a time, in add order', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue<{ key: string; n: number }>('orders', { partitions: 4, prefix });
    // The worker below learns the partitions from Redis: the queue's record must be there first.
    await queue.waitUntilReady();
    const running = new Set<string>();
    const order = new Map<string, number[]>();
    let overlaps = 0;
    const worker = t.worker<{ key: string; n: number }>(
      'orders',
      async (job) => {
        const { key, n } = job.data;
        if (running.has(key)) overlaps++;
        running.add(key);
        order.set(key, [...(order.get(key) ?? []), n]);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
        running.delete(key);
      },
      { concurrency: 8 },
    );
    await worker.waitUntilReady();
    const jobs = Array.from({ length: 200 }, (_, i) => ({
      name: 'o',
      data: { key: `customer-${i % 20}`, n: Math.floor(i / 20) },
      opts: { orderingKey: `customer-${i % 20}` },
    }));
    await queue.addBulk(jobs);
    await waitFor(() => [...order.values()].reduce((s, l) => s + l.length, 0) === 200, 15_000, 'every job');
    expect(overlaps).toBe(0);
    for (const list of order.values()) expect(list).toEqual([...Array(10).keys()]);
  });

  it('retries with backoff and dead letters work within each partition', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue<number>('orders', { partitions: 3, prefix });
    // The worker below learns the partitions from Redis: the queue's record must be there first.
    await queue.waitUntilReady();
    const attempts = new Map<string, number>();
    const worker = t.worker<number>(
      'orders',
      async (job) => {
        attempts.set(job.id, (attempts.get(job.id) ?? 0) + 1);
        if (job.data % 2 === 0) throw new Error('always fails');
        if (job.attemptsMade === 0) throw new Error('fails once');
        return job.data;
      },
      { concurrency: 6 },
    );
    await worker.waitUntilReady();
    await queue.addBulk(
      Array.from({ length: 30 }, (_, i) => ({ name: 'r', data: i, opts: { attempts: 2, backoff: { type: 'fixed', delay: 20 } } })),
    );
    await waitFor(
      async () => {
        const counts = await queue.getJobCounts();
        return counts.completed === 15 && counts.failed === 15;
      },
      15_000,
      'every job settled',
    );
    expect([...attempts.values()].every((n) => n === 2)).toBe(true);
    const failed = await queue.getJobs('failed', 0, 99);
    expect(failed.map((j) => j.data).sort((a, b) => a - b)).toEqual([...Array(15).keys()].map((i) => i * 2));
  });
});
