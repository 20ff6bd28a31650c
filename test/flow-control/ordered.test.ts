// Ordered keys (message groups): per key one at a time (or keyConcurrency) in add order,
// through retries; keys in parallel; round robin between keys; memory only for live keys.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

interface Item {
  key: string;
  seq: number;
}

/** Per key, the [start, end] of every attempt, in start order. */
class Timeline {
  readonly runs = new Map<string, { seq: number; start: number; end: number }[]>();
  running = 0;
  maxRunning = 0;
  perKeyRunning = new Map<string, number>();
  maxPerKey = 0;

  async run(job: Job<Item>, work: () => Promise<void>): Promise<void> {
    const start = performance.now();
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    const k = (this.perKeyRunning.get(job.data.key) ?? 0) + 1;
    this.perKeyRunning.set(job.data.key, k);
    this.maxPerKey = Math.max(this.maxPerKey, k);
    try {
      await work();
    } finally {
      this.running--;
      this.perKeyRunning.set(job.data.key, this.perKeyRunning.get(job.data.key)! - 1);
      const list = this.runs.get(job.data.key) ?? [];
      list.push({ seq: job.data.seq, start, end: performance.now() });
      this.runs.set(job.data.key, list);
    }
  }

  /** Per key: attempts never overlap, and a job's first start comes after every earlier job's attempts. */
  assertOrdered(): void {
    for (const [key, list] of this.runs) {
      const byStart = [...list].sort((a, b) => a.start - b.start);
      for (let i = 1; i < byStart.length; i++) {
        expect(byStart[i]!.start, `key ${key}: attempts overlap`).toBeGreaterThanOrEqual(byStart[i - 1]!.end);
        expect(byStart[i]!.seq, `key ${key}: out of order`).toBeGreaterThanOrEqual(byStart[i - 1]!.seq);
      }
    }
  }
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('ordered keys', () => {
  const t = useRedis();

  it('jobs of a key run one at a time in add order; keys run in parallel', async () => {
    const queue = t.queue<Item>('orders');
    const line = new Timeline();
    const jobs: { name: string; data: Item; opts: { orderingKey: string } }[] = [];
    for (let seq = 0; seq < 20; seq++)
      for (let k = 0; k < 20; k++) jobs.push({ name: 'n', data: { key: `c${k}`, seq }, opts: { orderingKey: `c${k}` } });
    await queue.addBulk(jobs);
    expect((await queue.getJobCounts()).waiting).toBe(400);
    t.worker<Item>('orders', (job) => line.run(job, () => pause(1 + (job.data.seq % 3))), { concurrency: 20, blockMs: 300 });
    t.worker<Item>('orders', (job) => line.run(job, () => pause(1 + (job.data.seq % 2))), { concurrency: 20, blockMs: 300 });
    await waitFor(async () => (await queue.getJobCounts()).completed === 400, 20_000, 'all completed');
    line.assertOrdered();
    expect(line.maxPerKey).toBe(1);
    expect(line.maxRunning).toBeGreaterThan(5);
    for (const list of line.runs.values()) expect(list.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // nothing left behind for keys with no jobs
    expect(await t.admin.hgetall(queue.keys.group('default').keyState)).toEqual({ '#waiting': '0' });
    expect(await t.admin.keys(`${queue.keys.base}g:default:key:*`)).toEqual([]);
  });

  it('a failing job blocks its key through its retries; a dead-lettered one lets the key move on; other keys are not held up', async () => {
    t.newPrefix();
    const queue = t.queue<Item>('retries');
    const line = new Timeline();
    t.worker<Item>(
      'retries',
      (job) =>
        line.run(job, async () => {
          if (job.data.key === 'a' && job.data.seq === 0 && job.attemptsMade < 2) throw new Error('flaky');
          if (job.data.key === 'a' && job.data.seq === 2) throw new Error('poison');
          await pause(2);
        }),
      { concurrency: 10, blockMs: 300 },
    );
    const opts = (key: string) => ({ orderingKey: key, attempts: 3, backoff: { type: 'fixed' as const, delay: 500 } });
    for (let seq = 0; seq < 5; seq++) {
      await queue.add('n', { key: 'a', seq }, opts('a'));
      await queue.add('n', { key: 'b', seq }, opts('b'));
    }
    await waitFor(
      async () => {
        const c = await queue.getJobCounts();
        return c.completed === 9 && c.failed === 1;
      },
      10_000,
      'nine completed, the poison job dead-lettered',
    );
    line.assertOrdered();
    const a = line.runs
      .get('a')!
      .sort((x, y) => x.start - y.start)
      .map((r) => r.seq);
    expect(a).toEqual([0, 0, 0, 1, 2, 2, 2, 3, 4]);
    // b ran during a's backoff: it was not held up
    const aSecondTry = line.runs.get('a')!.sort((x, y) => x.start - y.start)[1]!.start;
    expect(Math.max(...line.runs.get('b')!.map((r) => r.end))).toBeLessThan(aSecondTry);
  });

  it("keyConcurrency lets n jobs of a key run at once; keyLimiter caps a key's starts per window", async () => {
    t.newPrefix();
    const queue = t.queue<Item>('conc');
    const line = new Timeline();
    t.worker<Item>('conc', (job) => line.run(job, () => pause(20)), { concurrency: 20, keyConcurrency: 3, blockMs: 300 });
    await queue.addBulk(Array.from({ length: 30 }, (_, seq) => ({ name: 'n', data: { key: 'k', seq }, opts: { orderingKey: 'k' } })));
    await waitFor(async () => (await queue.getJobCounts()).completed === 30, 10_000, 'all completed');
    expect(line.maxPerKey).toBe(3);

    t.newPrefix();
    const limited = t.queue<Item>('keylimit');
    const starts = new Map<string, number[]>();
    t.worker<Item>(
      'keylimit',
      async (job) => {
        starts.set(job.data.key, [...(starts.get(job.data.key) ?? []), job.processedOn!]);
      },
      { concurrency: 10, keyConcurrency: 5, keyLimiter: { max: 2, duration: 250 }, blockMs: 300 },
    );
    await limited.addBulk(
      ['x', 'y'].flatMap((key) => Array.from({ length: 6 }, (_, seq) => ({ name: 'n', data: { key, seq }, opts: { orderingKey: key } }))),
    );
    await waitFor(async () => (await limited.getJobCounts()).completed === 12, 10_000, 'all completed');
    for (const list of starts.values()) {
      list.sort((a, b) => a - b);
      // in any window of 250 ms at most 2 starts of one key: the 3rd start after is 250 ms later
      for (let i = 2; i < list.length; i++) expect(list[i]! - list[i - 2]!).toBeGreaterThanOrEqual(250);
    }
  });

  it('fairness: a hot key with many jobs does not starve a thousand cold keys', async () => {
    t.newPrefix();
    const queue = t.queue<Item>('fair', { events: { maxLen: 0 } });
    let hotDone = 0;
    let coldDone = 0;
    let hotWhenColdFinished = -1;
    t.worker<Item>(
      'fair',
      async (job) => {
        if (job.data.key === 'hot') hotDone++;
        else if (++coldDone === 1000) hotWhenColdFinished = hotDone;
      },
      { concurrency: 20, keyConcurrency: 10, blockMs: 300 },
    );
    // the hot key first: 10,000 jobs ahead of the cold keys in the queue
    await queue.addBulk(
      Array.from({ length: 10_000 }, (_, seq) => ({
        name: 'n',
        data: { key: 'hot', seq },
        opts: { orderingKey: 'hot', removeOnComplete: true },
      })),
    );
    await queue.addBulk(
      Array.from({ length: 1000 }, (_, i) => ({
        name: 'n',
        data: { key: `cold${i}`, seq: 0 },
        opts: { orderingKey: `cold${i}`, removeOnComplete: true },
      })),
    );
    await waitFor(() => coldDone === 1000, 20_000, 'every cold key served');
    // round robin: each pass over the ring serves the hot key once, so the cold keys finish
    // within a few passes, long before the hot key's backlog
    expect(hotWhenColdFinished).toBeLessThan(2000);
    await waitFor(() => hotDone === 10_000, 30_000, 'the hot key drains');
  });

  it('scale: memory follows waiting jobs, not keys ever seen', async () => {
    t.newPrefix();
    const queue = t.queue<Item>('many', { events: { maxLen: 0 } });
    const total = 20_000;
    await queue.addBulk(
      Array.from({ length: total }, (_, i) => ({
        name: 'n',
        data: { key: `k${i}`, seq: 0 },
        opts: { orderingKey: `k${i}`, removeOnComplete: true },
      })),
    );
    expect(await t.admin.hlen(queue.keys.group('default').keyState)).toBe(total + 1);
    let done = 0;
    t.worker<Item>('many', async () => void done++, { concurrency: 50, blockMs: 300 });
    await waitFor(() => done === total, 30_000, 'all keys served');
    await waitFor(async () => (await queue.getJobCounts()).active === 0, 5000, 'acks settled');
    expect(await t.admin.hgetall(queue.keys.group('default').keyState)).toEqual({ '#waiting': '0' });
    expect(await t.admin.llen(`${queue.keys.base}g:default:keys`)).toBe(0);
    expect(await t.admin.keys(`${queue.keys.base}g:default:key:*`)).toEqual([]);
  });

  it('with fan-out, each group keeps each key in order on its own', async () => {
    t.newPrefix();
    const queue = t.queue<Item>('fan');
    await queue.createGroup('a');
    await queue.createGroup('b');
    const lines = { a: new Timeline(), b: new Timeline() };
    for (const g of ['a', 'b'] as const) {
      t.worker<Item>('fan', (job) => lines[g].run(job, () => pause(job.data.seq % 2)), { group: g, concurrency: 10, blockMs: 300 });
    }
    await queue.addBulk(
      Array.from({ length: 60 }, (_, i) => ({
        name: 'n',
        data: { key: `k${i % 6}`, seq: Math.floor(i / 6) },
        opts: { orderingKey: `k${i % 6}` },
      })),
    );
    for (const g of ['a', 'b']) await waitFor(async () => (await queue.getJobCounts({ group: g })).completed === 60, 10_000, `group ${g}`);
    lines.a.assertOrdered();
    lines.b.assertOrdered();
    expect(lines.a.maxPerKey).toBe(1);
    expect(lines.b.maxPerKey).toBe(1);
  });

  it('bad ordering options are refused', async () => {
    t.newPrefix();
    const queue = t.queue('bad');
    await expect(queue.add('n', 1, { orderingKey: 'has space' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.add('n', 1, { orderingKey: 'k', priority: 2 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => t.worker('bad', async () => null, { keyConcurrency: 0 })).toThrow(InvalidOptionError);
  });

  it('remove, drain and obliterate handle ordered jobs: keys keep moving, nothing is left behind', async () => {
    t.newPrefix();
    const queue = t.queue<Item>('admin');
    const jobs = await queue.addBulk(
      Array.from({ length: 12 }, (_, i) => ({
        name: 'n',
        data: { key: `k${i % 3}`, seq: Math.floor(i / 3) },
        opts: { orderingKey: `k${i % 3}` },
      })),
    );
    // removing a waiting ordered job takes it out of its key's line
    await queue.remove(jobs[0]!.id);
    expect((await queue.getJobCounts()).waiting).toBe(11);
    const seen: Item[] = [];
    const hold = { open: () => {}, promise: Promise.resolve() };
    hold.promise = new Promise<void>((r) => (hold.open = r));
    const worker = t.worker<Item>(
      'admin',
      async (job) => {
        seen.push(job.data);
        await hold.promise;
      },
      { concurrency: 3, blockMs: 300 },
    );
    await waitFor(() => seen.length === 3, 5000, 'three started');
    // the three keys each have a job running: drain removes what waits in their lines
    expect(await queue.drain()).toBe(8);
    hold.open();
    await waitFor(async () => (await queue.getJobCounts()).active === 0, 5000, 'running jobs done');
    expect(seen).toHaveLength(3);
    expect((await queue.getJobCounts()).waiting).toBe(0);
    await worker.close();
    // more jobs after the drain still run in order
    await queue.addBulk(
      Array.from({ length: 4 }, (_, seq) => ({ name: 'n', data: { key: 'k0', seq: 10 + seq }, opts: { orderingKey: 'k0' } })),
    );
    const again = t.worker<Item>('admin', async (job) => void seen.push(job.data), { blockMs: 300 });
    await waitFor(() => seen.length === 7, 5000, 'new jobs of a drained key');
    expect(seen.slice(3).map((d) => d.seq)).toEqual([10, 11, 12, 13]);
    await again.close();
    await queue.addBulk(Array.from({ length: 5 }, (_, seq) => ({ name: 'n', data: { key: 'z', seq }, opts: { orderingKey: 'z' } })));
    await queue.obliterate({ force: true });
    expect(await t.admin.keys(`${queue.keys.base}*`)).toEqual([]);
  });

  it('releaseKeyOnRetry: a job waiting for its retry lets its key go on; a redriven job holds no slot', async () => {
    t.newPrefix();
    const queue = t.queue<Item>('moveon');
    const order: string[] = [];
    t.worker<Item>(
      'moveon',
      async (job) => {
        order.push(`${job.data.seq}${job.attemptsMade ? 'r' : ''}`);
        if (job.data.seq === 0 && job.attemptsMade === 0) throw new Error('later');
        if (job.data.seq === 3) throw new Error('poison');
      },
      { concurrency: 5, blockMs: 300 },
    );
    const opts = { orderingKey: 'k', attempts: 2, backoff: { type: 'fixed' as const, delay: 1000 }, releaseKeyOnRetry: true };
    await queue.addBulk(Array.from({ length: 3 }, (_, seq) => ({ name: 'n', data: { key: 'k', seq }, opts })));
    await waitFor(async () => (await queue.getJobCounts()).completed === 3, 5000, 'all three');
    // job 0 failed, let 1 and 2 go, and ran again after its backoff
    expect(order).toEqual(['0', '1', '2', '0r']);
    expect(await t.admin.hgetall(queue.keys.group('default').keyState)).toEqual({ '#waiting': '0' });
    // a redriven job (dead-lettered, then retried by hand) holds no slot: the key's count stays right
    await queue.add('n', { key: 'k', seq: 3 }, { orderingKey: 'k' });
    await waitFor(async () => (await queue.getJobCounts()).failed === 1, 5000, 'the poison job failed');
    await queue.retryJobs();
    await waitFor(async () => (await queue.getJobCounts()).failed === 1 && order.length === 6, 5000, 'redriven and failed again');
    expect(await t.admin.hgetall(queue.keys.group('default').keyState)).toEqual({ '#waiting': '0' });
  });

  it("keyLimiter counts retries too; a scheduler's jobs keep their ordering key", async () => {
    t.newPrefix();
    const queue = t.queue<Item>('klretry');
    const starts: number[] = [];
    t.worker<Item>(
      'klretry',
      async (job) => {
        if (job.data.key !== 'k') return;
        starts.push(job.processedOn!);
        if (job.attemptsMade < 2) throw new Error('again');
      },
      { keyLimiter: { max: 1, duration: 250 }, blockMs: 300 },
    );
    await queue.add('n', { key: 'k', seq: 0 }, { orderingKey: 'k', attempts: 3 });
    await waitFor(async () => (await queue.getJobCounts()).completed === 1, 5000, 'done after two retries');
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(250);

    await queue.upsertScheduler('tick', { every: 1000 }, { name: 'tick', data: { key: 's', seq: 0 }, opts: { orderingKey: 's' } });
    await waitFor(async () => (await queue.getJobCounts()).completed >= 2, 5000, 'the scheduler fired');
    const ids = await queue.getJobIds('completed');
    const tick = await queue.getJob(ids.find((id) => id.startsWith('repeat:'))!);
    expect(tick!.opts.orderingKey).toBe('s');
    expect(await t.admin.hget(queue.keys.job(tick!.id), 'ok')).toBe('s');
    await queue.removeScheduler('tick');
  });

  // regression: drain kept the key slot of an ordered job waiting for its retry, and the key stuck
  it('drain gives back the key slot of an ordered job waiting for its retry: the key does not stick', async () => {
    t.newPrefix();
    const queue = t.queue<string>('drain-key');
    const ran: string[] = [];
    const worker = t.worker<string>(
      'drain-key',
      async (job) => {
        ran.push(job.data);
        if (job.data === 'a') throw new Error('retry later');
      },
      { blockMs: 300 },
    );
    await queue.add('n', 'a', { orderingKey: 'k', attempts: 2, backoff: 60_000 });
    await queue.add('n', 'b', { orderingKey: 'k' });
    await waitFor(async () => (await queue.getJobCounts()).delayed === 1, 5000, 'a waits for its retry');
    expect(await queue.drain(true)).toBe(2);
    await queue.add('n', 'c', { orderingKey: 'k' });
    await waitFor(() => ran.includes('c'), 5000, 'the key runs again');
    await worker.close();
    expect(await t.admin.hgetall(queue.keys.group('default').keyState)).toEqual({ '#waiting': '0' });
  });
});
