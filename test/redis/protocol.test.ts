// The scripts' replies, and the plain commands the Queue reads with, parse the same under RESP2
// and RESP3 (ioredis 6 speaks RESP3 by default; a user may ask for RESP2, or for RESP3 maps).
import { describe, expect, it } from 'vitest';
import type { Redis, RedisOptions } from 'ioredis';
import type { Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor } from '../helpers/wait.js';

const variants: [string, Partial<RedisOptions>][] = [
  ['RESP2', { protocol: 2 }],
  ['RESP3', { protocol: 3 }],
  ['RESP3 with replyMapping resp3', { protocol: 3, replyMapping: 'resp3' }],
];

describe.each(variants)('protocol %s', (label, protocolOptions) => {
  const t = useRedis();

  it(`add → delay → retry → complete → counts → lists (${label})`, async () => {
    t.newPrefix();
    const connection = (): RedisOptions => ({ host: '127.0.0.1', port: t.redis.port, ...protocolOptions }) as RedisOptions;
    const queue = t.queue<{ n: number }, { doubled: number }>('proto', { connection: connection() });
    const info = String(await (queue as unknown as { client: Redis }).client.call('CLIENT', 'INFO'));
    expect(info).toContain(`resp=${protocolOptions.protocol}`);

    const plain = await queue.add('plain', { n: 1 });
    const prio = await queue.add('prio', { n: 2 }, { priority: 3 });
    const delayed = await queue.add('delayed', { n: 3 }, { delay: 300 });
    const flaky = await queue.add('flaky', { n: 4 }, { attempts: 2, jobId: 'flaky-1' });
    const bulk = await queue.addBulk([
      { name: 'bulk', data: { n: 5 } },
      { name: 'bulk', data: { n: 6 } },
    ]);
    // plain jobs are identified by their stream entry; scheduled ones by the id counter
    expect(plain.id).toMatch(/^\d+-\d+$/);
    expect([prio.id, delayed.id, flaky.id]).toEqual(['1', '2', 'flaky-1']);
    for (const j of bulk) expect(j.id).toMatch(/^\d+-\d+$/);

    expect
      .soft(await queue.getJobCounts())
      .toEqual({ waiting: 5, active: 0, delayed: 1, completed: 0, failed: 0, paused: false, 'waiting-children': 0 });
    const [b1, b2] = bulk.map((j) => j.id);
    expect.soft(await queue.getJobIds('waiting')).toEqual([plain.id, 'flaky-1', b1, b2, prio.id]);
    expect.soft(await queue.getJobIds('delayed')).toEqual([delayed.id]);
    const waiting = await queue.getJobs('waiting');
    expect.soft(waiting.map((j) => [j.id, j.name, j.data])).toEqual([
      [plain.id, 'plain', { n: 1 }],
      ['flaky-1', 'flaky', { n: 4 }],
      [b1, 'bulk', { n: 5 }],
      [b2, 'bulk', { n: 6 }],
      [prio.id, 'prio', { n: 2 }],
    ]);

    let flakyCalls = 0;
    const worker = t.worker<{ n: number }, { doubled: number }>(
      'proto',
      async (job) => {
        if (job.name === 'flaky' && flakyCalls++ === 0) throw new Error('first attempt fails');
        await job.updateProgress({ step: job.data.n });
        await job.log(`doubling ${job.data.n}`);
        return { doubled: job.data.n * 2 };
      },
      { connection: connection(), concurrency: 2, blockMs: 1000 },
    );
    const workerInfo = String(await (worker as unknown as { client: Redis }).client.call('CLIENT', 'INFO'));
    expect(workerInfo).toContain(`resp=${protocolOptions.protocol}`);
    const failed: [Job | undefined, Error, boolean][] = [];
    worker.on('failed', (...args) => failed.push(args));
    const done = await collectEvents<Job<{ n: number }>>(worker, 'completed', 6, 10_000);
    const all = [plain.id, prio.id, delayed.id, flaky.id, b1, b2].sort();
    expect(done.map((j) => j.id).sort()).toEqual(all);
    expect(failed.map(([j, err, willRetry]) => [j?.id, err.message, willRetry])).toEqual([['flaky-1', 'first attempt fails', true]]);

    await waitFor(async () => (await queue.getJobCounts()).completed === 6, 5000, 'six completed');
    expect(await queue.getJobCounts()).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 6,
      failed: 0,
      paused: false,
      'waiting-children': 0,
    });
    const completed = await queue.getJobs('completed');
    expect(completed.map((j) => j.id).sort()).toEqual(all);
    for (const job of completed) {
      expect(job.returnvalue).toEqual({ doubled: job.data.n * 2 });
      expect(job.progress).toEqual({ step: job.data.n });
      expect(await job.getLogs()).toEqual([`doubling ${job.data.n}`]);
      expect(await job.getState()).toBe('completed');
      expect(typeof job.timestamp).toBe('number');
      expect(job.finishedOn).toBeGreaterThanOrEqual(job.timestamp);
    }
    const f = await queue.getJob('flaky-1');
    expect([f?.attemptsMade, f?.deliveries, f?.stalls]).toEqual([1, 2, 0]);
    const d = await queue.getJob(delayed.id);
    expect([d?.attemptsMade, d?.deliveries]).toEqual([0, 1]);
  });
});
