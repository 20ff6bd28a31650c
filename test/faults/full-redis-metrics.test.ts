// A worker draining a full Redis (maxmemory, noeviction) keeps recording its metrics and its
// heartbeat: the flush writes bounded data (fixed-size totals and rings, one registry entry per
// worker), so Redis must not refuse it with an out-of-memory error at every interval, hiding
// the worker from getWorkers and delaying its counts (found by `npm run chaos`, maxmemory).
import { describe, expect, it } from 'vitest';
import { RedisOutOfMemoryError } from '../../src/index.js';
import { readTotals } from '../../src/metrics/metrics-store.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor } from '../helpers/wait.js';

const t = useRedis();

describe('a full Redis', () => {
  it("does not refuse a draining worker's metrics flush and heartbeat", async () => {
    t.newPrefix();
    const queue = t.queue('full-metrics');
    const total = 100;
    const payload = 'x'.repeat(20_000);
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'job', data: { i, payload } })));
    const used = Number(/used_memory:(\d+)/.exec(String(await t.admin.info('memory')))![1]);
    // well over the limit from the start (whatever Redis frees meanwhile): Redis is full
    await t.admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    try {
      await expect(queue.add('more', { payload })).rejects.toThrow(RedisOutOfMemoryError);
      const worker = t.worker('full-metrics', async () => null, { concurrency: 10, metrics: { flushMs: 100 } });
      const errors: Error[] = [];
      worker.on('error', (err) => errors.push(err));
      await collectEvents(worker, 'completed', total);
      // the flushes carry every completion and the heartbeat, while Redis is still full
      await waitFor(async () => (await readTotals(t.admin, queue.keys, 'default')).completed === total, 5_000, 'every completion counted');
      expect((await queue.getWorkers()).map((w) => w.id)).toContain(worker.id);
      await expect(queue.add('more', { payload })).rejects.toThrow(RedisOutOfMemoryError);
      expect(errors.map((e) => e.message)).toEqual([]);
    } finally {
      await t.admin.config('SET', 'maxmemory', '0');
    }
  });
});
