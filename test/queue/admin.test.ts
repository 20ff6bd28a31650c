// Admin operations on large queues run in bounded batches: with 200k jobs and a producer
// adding meanwhile, no single command (script call) runs long enough to stall Redis.
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

// A call over 200k jobs at once takes seconds; a bounded batch takes a few ms (bench scenario
// 'bounded' reports the figures). The bound is loose so that a loaded CI machine, where a
// 500-job batch can take 25-50 ms, does not fail it: this test catches unbounded calls, the
// bench measures speed.
const SLOW_US = 250_000;

describe('admin operations on 200k jobs', () => {
  const t = useRedis();

  async function fill(name: string, count: number) {
    // keep every finished job, so that the t.admin operations have 200k to work on
    const queue = t.queue(name, { defaultJobOptions: { removeOnComplete: false, removeOnFail: false } });
    const batch = Array.from({ length: 1000 }, (_, i) => ({ name: 'bulk', data: { i, pad: 'x'.repeat(20) } }));
    for (let n = 0; n < count; n += 1000) await queue.addBulk(batch);
    return queue;
  }

  /** Runs `op` while a producer keeps adding; returns the slow log entries meanwhile. */
  async function watch(name: string, op: () => Promise<unknown>) {
    await t.admin.config('SET', 'slowlog-log-slower-than', String(SLOW_US));
    await t.admin.slowlog('RESET');
    const producer = t.queue(name);
    let producing = true;
    let added = 0;
    const loop = (async () => {
      while (producing) {
        await producer.add('live', { added });
        added++;
      }
    })();
    await op();
    producing = false;
    await loop;
    const slow = (await t.admin.slowlog('GET', 128)) as unknown[][];
    return { added, slow: slow.map((e) => ({ us: Number(e[2]), cmd: (e[3] as string[]).slice(0, 2).join(' ') })) };
  }

  it('drain removes 200k waiting jobs in bounded batches while a producer adds', async () => {
    const queue = await fill('drain', 200_000);
    expect((await queue.getJobCounts()).waiting).toBe(200_000);
    const { added, slow } = await watch('drain', () => queue.drain());
    expect(slow).toEqual([]);
    expect(added).toBeGreaterThan(0);
    // what the producer added after drain finished is still there; nothing else is
    expect((await queue.getJobCounts()).waiting).toBeLessThanOrEqual(added);
  });

  it('obliterate deletes 200k jobs in bounded batches and leaves no key behind', async () => {
    t.newPrefix();
    const queue = await fill('obl', 200_000);
    const { slow } = await watch('other', () => queue.obliterate());
    expect(slow).toEqual([]);
    const left = await t.admin.keys(`${t.prefix}:{obl}:*`);
    expect(left).toEqual([]);
  });

  it('retryJobs and clean move or delete 200k failed jobs in bounded batches', async () => {
    t.newPrefix();
    const queue = await fill('retry', 200_000);
    const worker = t.worker(
      'retry',
      async () => {
        throw new Error('boom');
      },
      { concurrency: 200 },
    );
    await waitFor(async () => (await queue.getJobCounts()).failed === 200_000, 120_000, '200k failed jobs');
    await worker.close();
    const moved = await watch('retry-live', async () => expect(await queue.retryJobs()).toBe(200_000));
    expect(moved.slow).toEqual([]);
    expect((await queue.getJobCounts()).waiting).toBe(200_000);

    const done = t.worker('retry', async () => 'ok', { concurrency: 200 });
    await waitFor(async () => (await queue.getJobCounts()).completed >= 100_000, 120_000, 'completions');
    await done.close();
    const cleaned = await watch('clean-live', async () => expect((await queue.clean(0, 0, 'completed')).length).toBeGreaterThan(0));
    expect(cleaned.slow).toEqual([]);
    expect((await queue.getJobCounts()).completed).toBe(0);
  }, 300_000);
});
