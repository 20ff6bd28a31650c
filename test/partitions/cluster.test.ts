// A partitioned queue on a real 3-master Redis Cluster (test/helpers/cluster.ts): its partitions
// are spread over the masters, and producers, readers, admin and merged QueueEvents work
// across them; one worker consumes every partition (waking promptly on any master), and the
// group rate limit, kept in the queue's own slot, holds across masters (docs/partitions.md).
import { describe, expect, it } from 'vitest';
import { type Job, QueueEvents } from '../../src/index.js';
import { partitionOfGeneratedId } from '../../src/partitions/layout.js';
import { partitionRefs } from '../../src/partitions/layout.js';
import { queueKeys } from '../../src/redis/keys.js';
import { useCluster } from '../helpers/use-cluster.js';
import { quietLogger } from '../helpers/setup.js';
import { addToPartition, jobsFor } from '../helpers/partitions.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';
import { consumePartitions } from './consumer.js';

type Data = { p: number; i: number };

describe('Redis Cluster: a partitioned queue', () => {
  const t = useCluster();

  it('3 and 6 partitions are spread evenly over the 3 masters', async () => {
    for (const n of [3, 6]) {
      const masters = await Promise.all(
        partitionRefs('orders', n).map(async (ref) => (await t.cluster.masterOf(`x:{${ref.tag}}:id`)).port),
      );
      const perMaster = new Map<number, number>();
      for (const port of masters) perMaster.set(port, (perMaster.get(port) ?? 0) + 1);
      expect(perMaster.size, `${n} partitions`).toBe(3);
      expect([...perMaster.values()]).toEqual([n / 3, n / 3, n / 3]);
    }
  });

  it('adds, reads, pauses and merged events across the masters', async () => {
    t.newPrefix();
    const q = t.queue<{ n: number }, number>('orders', { partitions: 6 });
    await q.waitUntilReady();
    const events = t.track(new QueueEvents('orders', { connection: t.urls, prefix: t.prefix, logger: quietLogger, blockMs: 200 }));
    await events.waitUntilReady();
    const added: string[] = [];
    events.on('added', ({ jobId }) => added.push(jobId));
    const jobs = await q.addBulk(Array.from({ length: 60 }, (_, i) => ({ name: 'n', data: { n: i } })));
    expect(new Set(jobs.map((j) => partitionOfGeneratedId(j.id, 6))).size).toBe(6);
    const mine = await q.add('mine', { n: 100 }, { jobId: 'order-100' });
    expect((await q.getJob(jobs[7]!.id))?.data).toEqual({ n: 7 });
    expect((await q.getJob('order-100'))?.id).toBe(mine.id);
    expect((await q.getJobCounts()).waiting).toBe(61);
    expect(await q.getJobs('waiting', 0, 60)).toHaveLength(61);
    await waitFor(() => added.length === 61, 10_000, 'added events');

    await q.pause();
    for (const ref of partitionRefs('orders', 6))
      expect(await t.admin.exists(queueKeys(t.prefix, 'orders', ref).group('default').paused)).toBe(1);
    await q.resume();

    const consumer = consumePartitions(t.urls, t.prefix, 'orders', 6, (job) => (job.data as { n: number }).n);
    try {
      expect(await jobs[59]!.waitUntilFinished(events, 10_000)).toBe(59);
      expect(await q.call('n', { n: 5 }, { timeout: 10_000 })).toBe(5);
      await waitFor(async () => (await q.getJobCounts()).completed === 62, 10_000, 'all completed');
    } finally {
      await consumer.stop();
    }
  });

  it('one worker runs the jobs of every partition on every master, each once, and wakes promptly', async () => {
    const at = { prefix: t.newPrefix(), queue: 'orders', partitions: 6 };
    const runs = new Map<string, number>();
    const worker = t.worker<Data>(
      at.queue,
      async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
      },
      { partitions: 6, concurrency: 10 },
    );
    await worker.waitUntilReady();
    for (let p = 0; p < 6; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 50));
    await waitFor(() => runs.size === 300, 15_000, 'every job');
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    // idle now: a job on any master wakes it
    const latencies: number[] = [];
    for (let p = 0; p < 6; p++) {
      const done = waitForEvent<[Job]>(worker, 'completed', 5000, (job) => (job.data as Data).i === 1000);
      const sentAt = performance.now();
      await addToPartition(t.admin, { ...at, partition: p }, [{ name: 'late', data: { p, i: 1000 } }]);
      await done;
      latencies.push(performance.now() - sentAt);
    }
    if (process.env.SLUICE_REPORT)
      console.log(
        'cluster partitions: wake-up, add → completed (ms)',
        latencies.map((l) => l.toFixed(1)),
      );
    expect(Math.max(...latencies)).toBeLessThan(500);
  });

  it('the group rate limit holds across masters', async () => {
    const at = { prefix: t.newPrefix(), queue: 'calls', partitions: 3 };
    const starts: number[] = [];
    const worker = t.worker<Data>(
      at.queue,
      async (job) => {
        starts.push(job.processedOn!);
      },
      { partitions: 3, concurrency: 10, limiter: { max: 10, duration: 500 } },
    );
    await worker.waitUntilReady();
    for (let p = 0; p < 3; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 10));
    await waitFor(() => starts.length === 30, 10_000, 'every job');
    // the masters' clocks are one machine's here; per partition the limit would allow 30 at once
    const span = Math.max(...starts) - Math.min(...starts);
    expect(span).toBeGreaterThanOrEqual(900);
  });
});
