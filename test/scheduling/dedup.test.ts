// Deduplication ids: a ttl holds the id for the whole ttl whatever becomes of its job; ids of
// jobs deleted before they finish (drain, removeGroup) are freed; the queue's index of its ids
// stays about the size of the ids held.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { scriptsFor } from '../helpers/counting.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('deduplication', () => {
  const t = useRedis();

  it('an id with a ttl stays held after its job completed and was removed; a second add does not extend it', async () => {
    const queue = t.queue('ttl', { defaultJobOptions: { removeOnComplete: true } });
    const { keys } = scriptsFor(t.admin, t.prefix, 'ttl');
    const runs: string[] = [];
    t.worker('ttl', async (job) => void runs.push(job.id));
    const first = await queue.add('a', 1, { deduplication: { id: 'x', ttl: 600_000 } });
    await waitFor(() => runs.length === 1, 10_000, 'the first job');
    await waitFor(async () => (await t.admin.exists(keys.job(first.id))) === 0, 10_000, 'its record removed');
    const left = await t.admin.pttl(keys.dedup('x'));
    const again = await queue.add('a', 2, { deduplication: { id: 'x', ttl: 600_000 } });
    expect(again.id).toBe(first.id);
    expect(await t.admin.pttl(keys.dedup('x'))).toBeLessThanOrEqual(left);
    expect(await queue.getDeduplicationJobId('x')).toBe(first.id);
    // a plain add after it runs; the deduplicated one never did
    const marker = await queue.add('m', 3);
    await waitFor(() => runs.includes(marker.id), 10_000, 'the marker job');
    expect(runs).toEqual([first.id, marker.id]);
  });

  it('an id with a ttl stays held after remove(); without a ttl remove() frees it', async () => {
    const queue = t.queue('removed');
    const held = await queue.add('a', 1, { deduplication: { id: 'kept', ttl: 600_000 } });
    const free = await queue.add('a', 1, { deduplication: { id: 'freed' } });
    await queue.remove(held.id);
    await queue.remove(free.id);
    expect((await queue.add('a', 2, { deduplication: { id: 'kept', ttl: 600_000 } })).id).toBe(held.id);
    expect((await queue.add('a', 2, { deduplication: { id: 'freed' } })).id).not.toBe(free.id);
  });

  it('drain frees the ids of the jobs it deletes (waiting, delayed, in key lines, prioritised)', async () => {
    const queue = t.queue('drained');
    const { keys } = scriptsFor(t.admin, t.prefix, 'drained');
    await queue.add('a', 1, { deduplication: { id: 'plain' } });
    await queue.add('a', 1, { deduplication: { id: 'delayed' }, delay: 600_000 });
    await queue.add('a', 1, { deduplication: { id: 'keyed' }, orderingKey: 'K' });
    await queue.add('a', 1, { deduplication: { id: 'prio' }, priority: 2 });
    expect(await queue.drain(true)).toBe(4);
    for (const id of ['plain', 'delayed', 'keyed', 'prio']) {
      expect(await queue.getDeduplicationJobId(id), id).toBeUndefined();
    }
    expect(await t.admin.zcard(`${keys.base}dedups`)).toBe(0);
  });

  it("removeGroup('default') frees the ids of the jobs it deletes", async () => {
    const queue = t.queue('dropped');
    await queue.createGroup('billing');
    await queue.createGroup('default', { from: 'start' });
    await queue.add('a', 1, { deduplication: { id: 'prio' }, priority: 1 });
    await queue.add('a', 1, { deduplication: { id: 'keyed' }, orderingKey: 'K' });
    expect(await queue.getDeduplicationJobId('prio')).toBeDefined();
    await queue.removeGroup('default');
    expect(await queue.getDeduplicationJobId('prio')).toBeUndefined();
    expect(await queue.getDeduplicationJobId('keyed')).toBeUndefined();
  });

  it('the index of dedup ids drops expired ones as new ids are held', async () => {
    const queue = t.queue('index');
    const { keys } = scriptsFor(t.admin, t.prefix, 'index');
    const index = `${keys.base}dedups`;
    for (let i = 0; i < 25; i++) await queue.add('a', i, { deduplication: { id: `short${i}`, ttl: 1 } });
    expect(await t.admin.zcard(index)).toBeGreaterThan(0);
    await waitFor(async () => (await t.admin.exists(keys.dedup('short24'))) === 0, 10_000, 'the short ttls to run out');
    for (let i = 0; i < 3; i++) await queue.add('a', i, { deduplication: { id: `long${i}`, ttl: 600_000 } });
    expect((await t.admin.zrange(index, 0, -1)).sort()).toEqual(['long0', 'long1', 'long2']);
  });

  // regression: a debounce (dedup replace) of a job waiting out its retry ran the job twice
  it('a debounce (dedup replace) of a job waiting out its retry does not run it twice', async () => {
    t.newPrefix();
    const queue = t.queue<number>('dedup-retry');
    const runs: number[] = [];
    const worker = t.worker<number>('dedup-retry', async (job) => {
      runs.push(job.data);
      if (runs.length === 1) throw new Error('first attempt fails');
      return job.data;
    });
    const opts = { attempts: 2, backoff: 400, deduplication: { id: 'd', replace: true } };
    await queue.add('job', 1, opts);
    await waitForEvent(worker, 'failed');
    await queue.add('job', 2, { ...opts, delay: 50 });
    await waitForEvent(worker, 'completed', 10_000);
    // one retry, one run: a second promotion of the same job would run it again
    await queue.add('probe', 0, { delay: 700 }); // completes after the stale retry would have fired
    await waitForEvent<[Job<number>]>(worker, 'completed', 10_000, (j) => j.name === 'probe');
    expect(runs).toEqual([1, 2, 0]);
  });
});
