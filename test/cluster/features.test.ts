// sluice's features on a real 3-master Redis Cluster (test/helpers/cluster.ts), each on a queue
// whose slot is served by a different master: fan-out groups, a rate limit, ordered keys,
// QueueEvents with waitUntilFinished, a scheduler that fires once, and flows (one slot per flow).
import { describe, expect, it } from 'vitest';
import { FlowProducer, InvalidOptionError, type Job, JobFailedError, QueueEvents, UnrecoverableError } from '../../src/index.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { useCluster } from '../helpers/use-cluster.js';
import { quietLogger } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `f${i}`);

describe('Redis Cluster: features', () => {
  const t = useCluster();
  /** The name of a queue served by master `index` (0-2), for this test's prefix. */
  const nameOn = async (index: number) => (await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 3))[index]!;

  it('fan-out: every group processes every job once', async () => {
    t.newPrefix();
    const name = await nameOn(0);
    const queue = t.queue<number>(name);
    const groups = ['billing', 'email'];
    for (const g of groups) expect(await queue.createGroup(g)).toBe(true);
    const seen = new Map<string, string[]>(groups.map((g) => [g, []]));
    for (const g of groups) {
      t.worker<number>(
        name,
        async (job) => {
          seen.get(g)!.push(job.id);
        },
        { group: g, concurrency: 3 },
      );
    }
    const jobs = await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'order', data: i })));
    jobs.push(await queue.add('later', 99, { delay: 100 }));
    for (const g of groups) {
      await waitFor(async () => (await queue.getJobCounts({ group: g })).completed === jobs.length, 10_000, `group ${g} done`);
      expect([...seen.get(g)!].sort()).toEqual(jobs.map((j) => j.id).sort());
    }
  });

  it('a rate limit: never more than max starts in any window', async () => {
    t.newPrefix();
    const name = await nameOn(1);
    const queue = t.queue(name);
    const max = 4;
    const duration = 250;
    await queue.setRateLimit({ max, duration });
    await queue.addBulk(Array.from({ length: 12 }, (_, i) => ({ name: 'call', data: i })));
    const starts: number[] = [];
    t.worker(
      name,
      async (job) => {
        // the lease's Redis time: what the limiter counts (a processor's own clock reading lags it
        // by however long the reply took to reach it, which a loaded machine stretches)
        starts.push(job.processedOn!);
      },
      { concurrency: 10 },
    );
    await waitFor(async () => (await queue.getJobCounts()).completed === 12, 10_000, 'every job completed');
    starts.sort((a, b) => a - b);
    // a window of `duration` holds at most `max` starts (1 ms of slack for rounding)
    for (let i = max; i < starts.length; i++) expect(starts[i]! - starts[i - max]!).toBeGreaterThanOrEqual(duration - 1);
  });

  it('ordered keys: the jobs of a key run one at a time, in add order', async () => {
    t.newPrefix();
    const name = await nameOn(2);
    const queue = t.queue<{ key: string; seq: number }>(name);
    const running = new Map<string, number>();
    const order = new Map<string, number[]>();
    let overlap = false;
    t.worker<{ key: string; seq: number }>(
      name,
      async (job) => {
        const { key, seq } = job.data;
        if (running.get(key)) overlap = true;
        running.set(key, 1);
        await new Promise((r) => setTimeout(r, 2)); // the job's work: long enough to overlap if a key ran twice
        order.set(key, [...(order.get(key) ?? []), seq]);
        running.set(key, 0);
      },
      { concurrency: 6 },
    );
    const jobs = [];
    for (let seq = 0; seq < 8; seq++)
      for (const key of ['a', 'b', 'c']) jobs.push({ name: 'n', data: { key, seq }, opts: { orderingKey: key } });
    await queue.addBulk(jobs);
    await waitFor(async () => (await queue.getJobCounts()).completed === jobs.length, 10_000, 'all completed');
    expect(overlap).toBe(false);
    for (const key of ['a', 'b', 'c']) expect(order.get(key)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('QueueEvents and waitUntilFinished: the return value and the failure', async () => {
    t.newPrefix();
    const name = await nameOn(0);
    const queue = t.queue<number, number>(name);
    const events = t.track(new QueueEvents(name, { connection: t.urls, prefix: t.prefix, logger: quietLogger, blockMs: 500 }));
    await events.waitUntilReady();
    const completed: string[] = [];
    events.on('completed', ({ jobId }: { jobId: string }) => completed.push(jobId));
    t.worker<number, number>(name, async (job) => {
      if (job.data < 0) throw new UnrecoverableError('negative');
      return job.data * 2;
    });
    const ok = await queue.add('ok', 21);
    expect(await ok.waitUntilFinished(events, 10_000)).toBe(42);
    const bad = await queue.add('bad', -1);
    await expect(bad.waitUntilFinished(events, 10_000)).rejects.toBeInstanceOf(JobFailedError);
    await waitFor(() => completed.includes(ok.id), 5000, 'the completed event');
  });

  it('a scheduler fires once at upsert time (immediately), and not again before its next slot', async () => {
    t.newPrefix();
    const name = await nameOn(1);
    const queue = t.queue(name);
    const ran: Job[] = [];
    t.worker(name, async (job) => {
      ran.push(job);
    });
    const info = await queue.upsertScheduler('hourly', { every: 3_600_000, immediately: true }, { name: 'h', data: 'x' });
    await waitFor(() => ran.length === 1, 10_000, 'the immediate job');
    expect(ran[0]!.id).toBe(`repeat:hourly:${info.next}`);
    expect(ran[0]!.data).toBe('x');
    const next = (await queue.getScheduler('hourly'))!.next!;
    expect(next % 3_600_000).toBe(0);
    expect(next).toBeGreaterThan(info.next!);
    // one lease later the worker is idle again and nothing else has fired
    await queue.add('after', null);
    await waitFor(() => ran.length === 2, 5000, 'the job after');
    expect(ran.map((j) => j.name)).toEqual(['h', 'after']);
  });

  it("flows: a flow in one queue's slot runs bottom up, a large one too; one across slots is refused before it is written", async () => {
    t.newPrefix();
    const [a, b] = [await nameOn(0), await nameOn(1)];
    const flows = t.track(new FlowProducer({ connection: t.urls, prefix: t.prefix, logger: quietLogger }));
    await expect(flows.add({ name: 'p', queueName: a, children: [{ name: 'c', queueName: b }] })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    const { job: parent } = await flows.add({
      name: 'collect',
      queueName: a,
      children: [1, 2, 3].map((n) => ({ name: 'part', queueName: a, data: n })),
    });
    const done: Job[] = [];
    t.worker<number>(a, async (job) => (job.name === 'part' ? job.data * 10 : Object.values(await job.getChildrenValues<number>()))).on(
      'completed',
      (job) => done.push(job),
    );
    await waitFor(() => done.some((j) => j.id === parent.id), 10_000, 'the parent completed');
    const result = done.find((j) => j.id === parent.id)!.returnvalue as number[];
    expect(result.sort((x, y) => x - y)).toEqual([10, 20, 30]);
    expect(await t.queue(b).getJobCounts()).toMatchObject({ waiting: 0 });
    // a flow of several calls (held, committed, placed) in the same slot
    const { job: wide } = await flows.add({
      name: 'collect',
      queueName: a,
      children: Array.from({ length: 1200 }, (_, n) => ({ name: 'part', queueName: a, data: n })),
    });
    await waitFor(() => done.some((j) => j.id === wide.id), 30_000, 'the wide parent completed');
    expect((done.find((j) => j.id === wide.id)!.returnvalue as number[]).length).toBe(1200);
  });
});
