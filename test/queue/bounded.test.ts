// Bounded work per call (invariant 10, docs/invariants.md) for ordered keys and the admin operations: what a
// call does is capped whatever the number of keys, jobs or keys in the keyspace, proven by
// counting commands (INFO commandstats), never by timing.
import { describe, expect, it } from 'vitest';
import { ObliterateRefusedError, type Queue } from '../../src/index.js';
import { writeGroupLimits } from '../../src/flow-control/rate-limit.js';
import { LEASE_CONFIG, counted, scriptsFor } from '../helpers/counting.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const BATCH = 500;
const RING_EXTRA = 256;

/** Adds one ordered job per key name, 1,000 per call. */
async function addKeyed(queue: Queue, keys: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < keys.length; i += 1000) {
    const jobs = await queue.addBulk(keys.slice(i, i + 1000).map((k) => ({ name: 'k', data: { k }, opts: { orderingKey: k } })));
    ids.push(...jobs.map((j) => j.id));
  }
  return ids;
}

const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => `k${from + i}`);

describe('ordered keys: bounded lease calls', () => {
  const t = useRedis();

  it('after a burst over many keys (keyConcurrency 2) the ring keeps only keys with work', async () => {
    const queue = t.queue('burst');
    const { scripts, keys, ring } = scriptsFor(t.admin, t.prefix, 'burst');
    await writeGroupLimits(t.admin, keys, 'default', { keyConcurrency: 2 });
    await addKeyed(queue, names(0, 3000));
    let leased = 0;
    for (let i = 0; i < 3; i++) leased += (await scripts.lease('default', 'c', `n${i}`, 1000, LEASE_CONFIG)).jobs.length;
    expect(leased).toBe(3000);
    // every key has a free slot but no job: none is listed, so the next call sweeps nothing
    expect(await t.admin.llen(ring)).toBe(0);
    const { calls } = await counted(t.admin, () => scripts.lease('default', 'c', 'n9', 1000, LEASE_CONFIG));
    expect(calls.lpop ?? 0).toBeLessThanOrEqual(3);
  });

  it('keys emptied by removals leave the ring a capped number per call, and the worker still gets the job behind them', async () => {
    const queue = t.queue('emptied');
    const { scripts, ring } = scriptsFor(t.admin, t.prefix, 'emptied');
    const ids = await addKeyed(queue, names(0, 1500));
    for (const id of ids) await queue.remove(id);
    expect(await t.admin.llen(ring)).toBe(1500);
    const { calls } = await counted(t.admin, () => scripts.lease('default', 'c', 'n1', 10, LEASE_CONFIG));
    // one LPOP of the ring and one of the key's line per entry met, at most 10 + 256 entries
    expect(calls.lpop ?? 0).toBeLessThanOrEqual(2 * (10 + RING_EXTRA) + 2);
    expect(await t.admin.llen(ring)).toBeGreaterThanOrEqual(1500 - (10 + RING_EXTRA));
    // a job behind the rest of them still runs: a call stopped by its cap wakes the workers
    const done: string[] = [];
    t.worker('emptied', async (job) => void done.push(job.id), { blockMs: 60_000 });
    const [late] = await addKeyed(queue, ['late']);
    await waitFor(() => done.includes(late!), 10_000, 'the job behind the emptied keys');
    expect(await t.admin.llen(ring)).toBe(0);
  });

  it('parked keys go back into the ring once the per-key limit is removed', async () => {
    const queue = t.queue('parked');
    const { keys } = scriptsFor(t.admin, t.prefix, 'parked');
    const done: string[] = [];
    t.worker('parked', async (job) => void done.push(job.id), { keyLimiter: { max: 1, duration: 600_000 }, blockMs: 60_000 });
    const [first, second] = await queue.addBulk([
      { name: 'a', data: 1, opts: { orderingKey: 'K' } },
      { name: 'b', data: 2, opts: { orderingKey: 'K' } },
    ]);
    await waitFor(() => done.includes(first!.id), 10_000, 'the first job of the key');
    await waitFor(async () => (await t.admin.zcard(`${keys.base}g:default:keywait`)) === 1, 10_000, 'the key parked');
    await writeGroupLimits(t.admin, keys, 'default', { keyLimiter: null });
    await waitFor(() => done.includes(second!.id), 10_000, 'the parked key runs once the limit is gone');
  });

  it('a lease whose expired job frees its key wakes the idle workers for the key’s next job', async () => {
    const queue = t.queue('expiry');
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'expiry');
    const [stale, next] = await queue.addBulk([
      { name: 'a', data: 1, opts: { orderingKey: 'K', ttl: 100 } },
      { name: 'b', data: 2, opts: { orderingKey: 'K' } },
    ]);
    // leased, then handed back unstarted: it holds its key's slot in the redelivery list
    const lease = await scripts.lease('default', 'gone', 'n1', 1, LEASE_CONFIG);
    expect(lease.jobs.map((j) => j.id)).toEqual([stale!.id]);
    await scripts.release('default', false, [[stale!.id, lease.jobs[0]!.token]]);
    const startBy = Number(await t.admin.hget(keys.job(stale!.id), 'sb'));
    await waitFor(async () => Number((await t.admin.time())[0]) * 1000 > startBy + 1000, 10_000, 'the deadline to pass');
    // the worker's own lease dead-letters the expired job and relists the key, then it blocks
    const done: string[] = [];
    t.worker('expiry', async (job) => void done.push(job.id), { blockMs: 60_000, allowErrors: true });
    await waitFor(() => done.includes(next!.id), 10_000, 'the next job of the key');
  });
});

describe('admin operations: bounded calls, linear totals', () => {
  const t = useRedis();

  it('a drain over 20,000 keys meets at most its batch of keys per call, and finishes every line', async () => {
    const queue = t.queue('drain');
    const { scripts, keys, ring } = scriptsFor(t.admin, t.prefix, 'drain');
    // 10,000 keys with a leased job and one waiting behind it (listed nowhere), 10,000 in the ring
    await addKeyed(queue, names(0, 10_000));
    await addKeyed(queue, names(0, 10_000));
    for (let i = 0; i < 10; i++) await scripts.lease('default', 'c', `n${i}`, 1000, LEASE_CONFIG);
    await addKeyed(queue, names(10_000, 10_000));
    expect(await t.admin.llen(ring)).toBe(10_000);
    let cursor = '0';
    let removed = 0;
    let calls = 0;
    for (;;) {
      const step = await counted(t.admin, () => scripts.drain('default', BATCH, false, cursor));
      calls++;
      // each key met costs one LRANGE of its line at most, and counts against the batch (a call
      // may finish the HSCAN batch of about 50 fields it is in)
      expect(step.calls.lrange ?? 0).toBeLessThanOrEqual(BATCH + 100);
      expect(step.calls.hscan ?? 0).toBeLessThanOrEqual(BATCH);
      removed += step.value.removed;
      cursor = step.value.keyCursor;
      if (step.value.processed < BATCH) break;
      expect(calls).toBeLessThan(200);
    }
    expect(removed).toBe(20_000);
    // linear: 20,000 jobs and 20,000 keys met, a batch of 500 per call
    expect(calls).toBeLessThanOrEqual(90);
    expect(await t.admin.llen(ring)).toBe(0);
    expect(Number(await t.admin.hget(`${keys.base}g:default:keyst`, '#waiting'))).toBe(0);
    expect(await t.admin.hlen(`${keys.base}g:default:keyst`)).toBe(10_001); // a: of the leased keys, and #waiting
    const [, lines] = await t.admin.scan('0', 'MATCH', `${keys.base}g:default:key:*`, 'COUNT', 100_000);
    expect(lines).toEqual([]);
  });

  it('obliterate (forced) of 20,000 keys holding leased jobs forgets at most its batch of keys per call', async () => {
    const queue = t.queue('oblkeys');
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'oblkeys');
    await addKeyed(queue, names(0, 20_000));
    for (let i = 0; i < 20; i++) await scripts.lease('default', 'c', `n${i}`, 1000, LEASE_CONFIG);
    let calls = 0;
    for (;;) {
      const step = await counted(t.admin, () => scripts.obliterate(BATCH, true));
      calls++;
      // a key met costs 1 of the batch; a call finishes the HSCAN batch (about 50 fields) it is in
      expect(step.calls.hdel ?? 0).toBeLessThanOrEqual(BATCH + 100);
      expect(step.calls.hscan ?? 0).toBeLessThanOrEqual(BATCH);
      if (step.value === 'done') break;
      expect(calls).toBeLessThan(200);
    }
    expect(calls).toBeLessThanOrEqual(2 * (20_000 / BATCH) + 5);
    expect(await t.admin.keys(`${keys.base}*`)).toEqual([]);
  });

  it('remove() looks for a job only near the ends of the wait list', async () => {
    const queue = t.queue('remove');
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'remove');
    const wait = keys.group('default').wait;
    const lifo: string[] = [];
    for (let i = 0; i < 2500; i += 500) {
      const jobs = await queue.addBulk(Array.from({ length: 500 }, (_, k) => ({ name: 'l', data: i + k, opts: { lifo: true } })));
      lifo.push(...jobs.map((j) => j.id));
    }
    const prio = await queue.add('p', 0, { priority: 3 });
    // not in the wait list: no LREM over it
    const a = await counted(t.admin, () => queue.remove(prio.id));
    expect(a.calls.lrem ?? 0).toBe(0);
    // near an end: removed from it
    const b = await counted(t.admin, () => queue.remove(lifo[0]!));
    expect(b.calls.lrem).toBe(1);
    expect(await t.admin.llen(wait)).toBe(2499);
    // deep inside: its record goes, the entry is left for the lease to drop
    const middle = lifo[1250]!;
    const c = await counted(t.admin, () => queue.remove(middle));
    expect(c.calls.lrem ?? 0).toBe(0);
    expect(await t.admin.exists(keys.job(middle))).toBe(0);
    const leased: string[] = [];
    for (let i = 0; i < 4; i++) leased.push(...(await scripts.lease('default', 'c', `n${i}`, 1000, LEASE_CONFIG)).jobs.map((j) => j.id));
    expect(leased).toHaveLength(2498);
    expect(leased).not.toContain(middle);
  });

  it('obliterate finds dedup ids through their index, with no keyspace scan', async () => {
    const queue = t.queue('obldedup');
    const { keys } = scriptsFor(t.admin, t.prefix, 'obldedup');
    const pipe = t.admin.pipeline();
    for (let i = 0; i < 20_000; i++) pipe.set(`unrelated:${i}`, 1);
    await pipe.exec();
    for (let i = 0; i < 50; i++) await queue.add('d', i, { deduplication: { id: `d${i}`, ttl: i % 2 ? 600_000 : undefined } });
    const { calls } = await counted(t.admin, () => queue.obliterate());
    expect(calls.scan ?? 0).toBe(0);
    expect(await t.admin.keys(`${keys.base}*`)).toEqual([]);
    expect(await t.admin.exists('unrelated:0', 'unrelated:19999')).toBe(2);
    // only the keys this test wrote: the Redis may be one the harness did not start (REDIS_URL)
    const unlink = t.admin.pipeline();
    for (let i = 0; i < 20_000; i += 1000) unlink.unlink(...Array.from({ length: 1000 }, (_, k) => `unrelated:${i + k}`));
    await unlink.exec();
  });

  it('obliterate pauses every group with its first call, and a refused one changes nothing', async () => {
    const queue = t.queue('oblgroups');
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'oblgroups');
    await queue.createGroup('billing');
    await queue.createGroup('email');
    await queue.pause({ group: 'email' });
    await queue.addBulk(Array.from({ length: 50 }, (_, i) => ({ name: 'j', data: i, opts: { priority: 1 } })));
    // a job active in billing: refused, and no pause flag moved
    const held = await scripts.lease('billing', 'c', 'n1', 1, LEASE_CONFIG);
    expect(held.jobs).toHaveLength(1);
    await expect(queue.obliterate()).rejects.toBeInstanceOf(ObliterateRefusedError);
    expect(await t.admin.exists(keys.group('billing').paused)).toBe(0);
    expect(await t.admin.exists(keys.group('email').paused)).toBe(1);
    expect(await t.admin.zcard(keys.group('billing').prio)).toBe(49);
    await scripts.complete('billing', 'c', 'n2', 0, LEASE_CONFIG, [
      { id: held.jobs[0]!.id, token: held.jobs[0]!.token, returnvalue: '1', keep: [0, -1] },
    ]);
    // a first call that goes ahead leaves every group paused: no worker leases any more
    expect(await scripts.obliterate(10, false)).toBe('more');
    for (const group of ['default', 'billing', 'email']) expect(await t.admin.exists(keys.group(group).paused), group).toBe(1);
    await queue.obliterate();
    expect(await t.admin.keys(`${keys.base}*`)).toEqual([]);
  });
});
