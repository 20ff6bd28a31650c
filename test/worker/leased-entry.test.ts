// Leases without a record (lua/includes/leasedEntry.lua): a plain job deleted on completion, read
// into the default group's PEL, is leased and acked without a record; anything else done to it
// gives it its record first, and its entry is never trimmed while it is leased.
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { useRedis } from '../helpers/setup.js';
import { LEASE_CONFIG, scriptsFor } from '../helpers/counting.js';
import { commandStats } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';
import type { QueueKeys } from '../../src/redis/keys.js';

/** The lease configuration with which a worker reads into the PEL. */
const PEL_CONFIG = `${LEASE_CONFIG.slice(0, -1)},"pel":true}`;
const DELETE: [number, number] = [0, -1];

async function pending(redis: Redis, keys: QueueKeys): Promise<string[]> {
  const rows = (await redis.xpending(keys.stream, 'default', '-', '+', 1000)) as [string, ...unknown[]][];
  return rows.map((r) => r[0]);
}

describe('leases without a record', () => {
  const t = useRedis();

  it('a plain job deleted on completion is leased and acked without a record; a kept one gets its record', async () => {
    t.newPrefix();
    const queue = t.queue('plain');
    await queue.addBulk([
      { name: 'gone', data: { i: 1 }, opts: { removeOnComplete: true } },
      { name: 'kept', data: { i: 2 } },
      { name: 'gone', data: { i: 3 }, opts: { removeOnComplete: 0 } },
    ]);
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'plain');
    const { jobs } = await scripts.lease('default', 'sluice', 'n1', 10, PEL_CONFIG);
    expect(jobs.map((j) => j.name)).toEqual(['gone', 'kept', 'gone']);
    const [a, kept, c] = jobs as [(typeof jobs)[0], (typeof jobs)[0], (typeof jobs)[0]];
    expect(await t.admin.exists(keys.job(a.id), keys.job(c.id))).toBe(0);
    expect(await t.admin.hget(keys.job(kept.id), 's')).toBe('active');
    expect(await pending(t.admin, keys)).toEqual([a.id, c.id]);

    // readers see it active, with its data
    const read = await queue.getJob(a.id);
    expect(read?.data).toEqual({ i: 1 });
    expect(await read?.getState()).toBe('active');
    expect((await queue.getJobs('active')).map((j) => j.id).sort()).toEqual([a.id, kept.id, c.id].sort());

    const acks = jobs.map((j) => ({ id: j.id, token: j.token, returnvalue: '"ok"', keep: DELETE }));
    const { refused } = await scripts.complete('default', 'sluice', 'n2', 0, PEL_CONFIG, acks);
    expect(refused).toEqual([]);
    expect(await pending(t.admin, keys)).toEqual([]);
    expect(await t.admin.zcard(keys.group('default').active)).toBe(0);
    expect(await t.admin.exists(keys.job(a.id), keys.job(kept.id), keys.job(c.id))).toBe(0);
    // sent again after a lost reply: accepted, nothing changes
    const again = await scripts.complete('default', 'sluice', 'n3', 0, PEL_CONFIG, [{ ...acks[0]!, resent: true }]);
    expect(again.refused).toEqual([]);
  });

  it('one ack call may mix jobs leased with and without a record, a repeated ack and a stale one', async () => {
    t.newPrefix();
    const queue = t.queue('mixed', { defaultJobOptions: { removeOnComplete: true } });
    await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'j', data: { i } })));
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'mixed');
    const [recorded] = (await scripts.lease('default', 'sluice', 'n1', 1, LEASE_CONFIG)).jobs;
    const [a, b, stale] = (await scripts.lease('default', 'sluice', 'n2', 3, PEL_CONFIG)).jobs;
    expect(await pending(t.admin, keys)).toEqual([a!.id, b!.id, stale!.id]);
    // the stale one's lease ran out and it was leased again (with a record now)
    await t.admin.zadd(keys.group('default').active, 0, stale!.id);
    const again = await scripts.lease('default', 'sluice', 'n3', 1, LEASE_CONFIG);
    expect(again.jobs.map((j) => j.id)).toEqual([stale!.id]);
    const ack = (j: { id: string; token: string }) => ({ id: j.id, token: j.token, returnvalue: '1', keep: DELETE });
    const { refused } = await scripts.complete('default', 'sluice', 'n4', 0, PEL_CONFIG, [
      ack(recorded!),
      ack(a!),
      ack(a!),
      ack(stale!),
      ack(b!),
    ]);
    expect(refused).toEqual([stale!.id]);
    expect(await pending(t.admin, keys)).toEqual([]);
    expect(await t.admin.zrange(keys.group('default').active, 0, -1)).toEqual([stale!.id]);
    expect(await t.admin.exists(keys.job(recorded!.id))).toBe(0);
  });

  it('without pel in its configuration, a lease writes the record as before', async () => {
    t.newPrefix();
    const queue = t.queue('nopel', { defaultJobOptions: { removeOnComplete: true } });
    const added = await queue.add('j', { i: 1 });
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'nopel');
    const before = await commandStats(t.admin);
    await scripts.lease('default', 'sluice', 'n1', 10, LEASE_CONFIG);
    const after = await commandStats(t.admin);
    expect(await t.admin.hget(keys.job(added.id), 's')).toBe('active');
    expect(await pending(t.admin, keys)).toEqual([]);
    // a queue whose stream was never read into the PEL: trimming does not look for pending entries
    expect((after.xpending ?? 0) - (before.xpending ?? 0)).toBe(0);
  });

  it('the stream is not trimmed past a leased entry; a lease that runs out gives the job its record and it runs again', async () => {
    t.newPrefix();
    const queue = t.queue('trim', { defaultJobOptions: { removeOnComplete: true } });
    await queue.addBulk(Array.from({ length: 500 }, (_, i) => ({ name: 'j', data: { i } })));
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'trim');
    const first = (await scripts.lease('default', 'sluice', 'n1', 1, PEL_CONFIG)).jobs[0]!;
    // the rest, read and acked by a worker that does not read into the PEL: trimming runs after each read
    for (let k = 0; k < 5; k++) {
      const { jobs } = await scripts.lease('default', 'sluice', `m${k}`, 100, LEASE_CONFIG);
      const acks = jobs.map((j) => ({ id: j.id, token: j.token, returnvalue: '1', keep: DELETE }));
      await scripts.complete('default', 'sluice', `a${k}`, 0, LEASE_CONFIG, acks);
    }
    expect(await t.admin.xrange(keys.stream, first.id, first.id)).toHaveLength(1);
    const trimmedTo = (await t.admin.xrange(keys.stream, '-', '+', 'COUNT', 1))[0]![0];
    expect(trimmedTo <= first.id).toBe(true);

    // the holder froze: its lease runs out, the next lease reclaims the job from its entry
    await t.admin.zadd(keys.group('default').active, 0, first.id);
    const again = await scripts.lease('default', 'sluice', 'n2', 10, LEASE_CONFIG);
    expect(again.stalled).toEqual([first.id]);
    expect(again.jobs.map((j) => j.id)).toEqual([first.id]);
    expect(again.jobs[0]!.data).toBe(first.data);
    expect(again.jobs[0]!.deliveries).toBe(2);
    expect(await t.admin.hmget(keys.job(first.id), 's', 'sc', 'dl')).toEqual(['active', '1', '2']);
    expect(await pending(t.admin, keys)).toEqual([]);
    // the first holder's late ack is refused: its lease is not the current one
    const late = await scripts.complete('default', 'sluice', 'n3', 0, LEASE_CONFIG, [
      { id: first.id, token: first.token, returnvalue: '1', keep: DELETE },
    ]);
    expect(late.refused).toEqual([first.id]);
    // the trim goes on past it now
    await queue.add('j', { i: 500 });
    await scripts.lease('default', 'sluice', 'n4', 10, LEASE_CONFIG);
    expect(await t.admin.xrange(keys.stream, first.id, first.id)).toHaveLength(0);
  });

  it("the holder's renewal, progress, log line and failure give the job its record with the holder's token", async () => {
    t.newPrefix();
    const queue = t.queue('held', { defaultJobOptions: { removeOnComplete: true, attempts: 2 } });
    await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'j', data: { i } })));
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'held');
    type Held = { id: string; token: string };
    const [a, b, c, d] = (await scripts.lease('default', 'sluice', 'n1', 10, PEL_CONFIG)).jobs as [Held, Held, Held, Held];
    expect(await pending(t.admin, keys)).toHaveLength(4);
    expect((await scripts.extend('default', 60_000, [[a.id, a.token]])).lost).toEqual([]);
    // recorded with the holder's token: another one is refused now
    expect((await scripts.extend('default', 60_000, [[a.id, 'x.1']])).lost).toEqual([a.id]);
    expect(await scripts.progress('default', b.id, b.token, '50')).toBe(true);
    expect(await scripts.log('default', c.id, c.token, 'a line', 10)).toBe(1);
    const failOutcome = { retry: true, delayMs: 0, reason: 'boom', stack: '[]', keep: [10, -1] as [number, number] };
    expect(await scripts.fail('default', d.id, d.token, failOutcome)).toBe(true);
    for (const job of [a, b, c]) {
      expect(await t.admin.hmget(keys.job(job.id), 's', 'tk', 'dl', 'n')).toEqual(['active', job.token, '1', 'j']);
    }
    expect(await t.admin.hget(keys.job(b.id), 'pg')).toBe('50');
    expect(await t.admin.hmget(keys.job(d.id), 's', 'a', 'fr')).toEqual(['waiting', '1', 'boom']);
    expect(await pending(t.admin, keys)).toEqual([]);
    // their acks go the record's way
    const acks = [a, b, c].map((j) => ({ id: j.id, token: j.token, returnvalue: '1', keep: DELETE }));
    const done = await scripts.complete('default', 'sluice', 'n2', 10, LEASE_CONFIG, acks);
    expect(done.refused).toEqual([]);
    expect(await t.admin.exists(keys.job(a.id), keys.job(b.id), keys.job(c.id))).toBe(0);
    // the failed one runs again, with its data
    expect(done.lease.jobs.map((j) => [j.id, j.attemptsMade])).toEqual([[d.id, 1]]);
  });

  it('cancelJob and updateData give it its record; the lease goes on; remove refuses it', async () => {
    t.newPrefix();
    const queue = t.queue('other', { defaultJobOptions: { removeOnComplete: true } });
    await queue.addBulk([
      { name: 'j', data: { i: 1 } },
      { name: 'j', data: { i: 2 } },
    ]);
    const { scripts, keys } = scriptsFor(t.admin, t.prefix, 'other');
    const [a, b] = (await scripts.lease('default', 'sluice', 'n1', 10, PEL_CONFIG)).jobs as [
      { id: string; token: string },
      { id: string; token: string },
    ];
    await expect(queue.remove(a.id)).rejects.toThrow(/active/);
    expect(await queue.cancelJob(a.id, 'not wanted')).toBe(true);
    await (await queue.getJob(b.id))!.updateData({ i: 20 });
    expect(await t.admin.hmget(keys.job(a.id), 's', 'tk', 'cx')).toEqual(['active', '*', 'not wanted']);
    expect(await t.admin.hmget(keys.job(b.id), 's', 'tk', 'd')).toEqual(['active', '*', '{"i":20}']);
    expect(await pending(t.admin, keys)).toEqual([]);
    // the holder's renewal learns of the cancel request; its acks count
    const renewal = await scripts.extend('default', 60_000, [
      [a.id, a.token],
      [b.id, b.token],
    ]);
    expect(renewal).toEqual({ lost: [], cancelled: [[a.id, 'not wanted']] });
    const acks = [a, b].map((j) => ({ id: j.id, token: j.token, returnvalue: '1', keep: DELETE }));
    expect((await scripts.complete('default', 'sluice', 'n2', 0, LEASE_CONFIG, acks)).refused).toEqual([]);
  });

  it('a worker whose jobs are deleted on completion reads into the PEL: one XACK, no record, per job', async () => {
    t.newPrefix();
    const queue = t.queue('worker', { defaultJobOptions: { removeOnComplete: true } });
    const total = 300;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'j', data: { i } })));
    const before = await commandStats(t.admin);
    let done = 0;
    const worker = t.worker('worker', async (job) => job.data.i, { concurrency: 20 });
    worker.on('completed', () => done++);
    await waitFor(() => done === total, 20_000, 'all jobs completed');
    const after = await commandStats(t.admin);
    const calls = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    // (the first lease does not know yet that the jobs are deleted on completion: it writes records);
    // the acks of a call are one XACK, and read no record
    expect(calls('xack')).toBeGreaterThan(0);
    expect(calls('xack')).toBeLessThanOrEqual(calls('evalsha'));
    expect(calls('hset')).toBeLessThan(total * 0.2);
    expect(calls('hmget')).toBeLessThan(total * 0.2);
    const keys = scriptsFor(t.admin, t.prefix, 'worker').keys;
    expect(await pending(t.admin, keys)).toEqual([]);
    expect(await t.admin.zcard(keys.group('default').active)).toBe(0);
  });
});
