// Redis restarts, killed connections and silent (half-open) connections: the worker
// reconnects and carries on, and its health report tells the truth meanwhile.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('reconnects', () => {
  const t = useRedis({ persistent: true });

  it('restarting Redis twice during a run: work resumes each time and no job is lost', async () => {
    const queue = t.queue('restart');
    const total = 400;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'job', data: { i } })));
    let completed = 0;
    const worker = t.worker(
      'restart',
      async () => {
        await new Promise((r) => setTimeout(r, 5));
        return 'ok';
      },
      { concurrency: 5, leaseMs: 1000, blockMs: 500, watchdogGraceMs: 1000, allowErrors: true },
    );
    worker.on('completed', () => completed++);
    for (let round = 1; round <= 2; round++) {
      const before = completed + 50;
      await waitFor(() => completed >= before, 20_000, `progress before restart ${round}`);
      await t.redis.stop('SIGTERM');
      await t.redis.start();
      const resumedFrom = completed;
      await waitFor(() => completed > resumedFrom + 20, 20_000, `work resumes after restart ${round}`);
      await waitFor(() => worker.isRunning(), 10_000, 'worker healthy again');
    }
    await waitFor(async () => (await queue.getJobCounts()).completed === total, 30_000, 'all jobs completed');
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, failed: 0, completed: total });
  });

  it('CLIENT KILL of the worker connections: it reconnects and keeps consuming', async () => {
    t.newPrefix();
    const queue = t.queue('killconn');
    const worker = t.worker('killconn', async (job) => job.data, { blockMs: 500, watchdogGraceMs: 500, allowErrors: true });
    await queue.add('one', 1);
    await waitForEvent(worker, 'completed');
    const admin = new Redis(t.url);
    try {
      const list = String(await admin.call('CLIENT', 'LIST'));
      const ids = list
        .split('\n')
        .filter((l) => l.includes(worker.id))
        .map((l) => /id=(\d+)/.exec(l)![1]!);
      expect(ids.length).toBe(2);
      for (const id of ids) await admin.call('CLIENT', 'KILL', 'ID', id);
      const next = waitForEvent(worker, 'completed', 15_000);
      await queue.add('two', 2);
      const [job] = await next;
      expect((job as { data: number }).data).toBe(2);
      await waitFor(() => worker.isRunning(), 5_000, 'worker healthy again');
    } finally {
      admin.disconnect();
    }
  });

  it('a silent half-open connection: the watchdog resets it and consumption resumes', async () => {
    t.newPrefix();
    const proxy = await startProxy(t.redis.port);
    try {
      const queue = t.queue('halfopen');
      const worker = t.worker('halfopen', async (job) => job.data, {
        connection: proxy.url,
        blockMs: 300,
        watchdogGraceMs: 300,
        allowErrors: true,
      });
      await queue.add('one', 1);
      await waitForEvent(worker, 'completed');
      proxy.freeze();
      // the frozen worker looks dead to its health check within block + grace
      await waitFor(() => !worker.isRunning(), 5_000, 'health to report the stall');
      const next = waitForEvent(worker, 'completed', 15_000);
      await queue.add('two', 2);
      const [job] = await next;
      expect((job as { data: number }).data).toBe(2);
      await waitFor(() => worker.isRunning(), 5_000, 'healthy again');
    } finally {
      await proxy.close();
    }
  });
});
