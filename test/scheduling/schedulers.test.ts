// Repeating jobs on Redis: idempotent upserts, exactly one job per slot with no leader (also
// across worker processes killed and restarted), catch-up after downtime, limits, and bad
// specifications refused. The slot arithmetic itself is tested without Redis in
// test/unit/repeat.test.ts.
import { describe, expect, it } from 'vitest';
import { InvalidIdError, InvalidOptionError } from '../../src/index.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('schedulers on Redis', () => {
  const t = useRedis();

  // the slots that made a job: every job record of the scheduler, whatever its state (one
  // read, so a job moving between states meanwhile cannot be missed)
  const repeatJobs = async (queue: { keys: { job(id: string): string } }, key: string) => {
    const pattern = queue.keys.job(`repeat:${key}:*`);
    const found = await t.admin.keys(pattern);
    return found.map((k) => Number(k.slice(pattern.length - 1))).sort((a, b) => a - b);
  };

  it('upsert is idempotent (20 at once leave one scheduler), a change replaces the next slot, bad input writes nothing', async () => {
    const queue = t.queue('sched');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        queue.upsertScheduler('report', { pattern: '0 9 * * 1-5', tz: 'Europe/Berlin' }, { name: 'report', data: { n: 1 } }),
      ),
    );
    expect(new Set(results.map((r) => r.next)).size).toBe(1);
    expect((await queue.getSchedulers()).map((s) => s.key)).toEqual(['report']);
    const again = await queue.upsertScheduler(
      'report',
      { pattern: '0 9 * * 1-5', tz: 'Europe/Berlin' },
      { name: 'report', data: { n: 2 } },
    );
    expect(again.next).toBe(results[0]!.next);
    expect((await queue.getScheduler('report'))?.data).toEqual({ n: 2 });
    // (every 7 s: its next slot comes within 7 s, so it is the cron's only in the 7 s before a
    // weekday 9:00; every hour, as before, met the cron's 9:00 between 8:00 and 9:00)
    const changed = await queue.upsertScheduler('report', { every: 7_000 }, { name: 'report' });
    expect(changed.next).not.toBe(results[0]!.next);
    expect(changed.next! % 7_000).toBe(0);
    expect((await queue.getScheduler('report'))?.next).toBe(changed.next);
    expect((await queue.getScheduler('report'))?.repeat).toEqual({ every: 7_000 });
    const before = await t.admin.keys(`${t.prefix}:*`);
    await expect(queue.upsertScheduler('bad', { pattern: 'nope' }, { name: 'x' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.upsertScheduler('bad', { every: 1000, tz: 'Nowhere/Land' }, { name: 'x' })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(queue.upsertScheduler('bad key', { every: 1000 }, { name: 'x' })).rejects.toBeInstanceOf(InvalidIdError);
    await expect(queue.upsertScheduler('bad', { every: 1000 }, { name: 'x', opts: { delay: 5 } })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    expect((await t.admin.keys(`${t.prefix}:*`)).sort()).toEqual(before.sort());
    expect(await queue.removeScheduler('report')).toBe(true);
    expect(await queue.getSchedulers()).toEqual([]);
  });

  it('every N ms with a worker: one job per slot, on the slot grid; a limit stops it', async () => {
    t.newPrefix();
    const queue = t.queue('every');
    t.worker('every', async (job) => job.data);
    await queue.upsertScheduler('tick', { every: 100 }, { name: 'tick', data: 'tock' });
    await queue.upsertScheduler('three', { every: 50, limit: 3 }, { name: 'three' });
    await waitFor(async () => (await repeatJobs(queue, 'tick')).length >= 5, 10_000, 'five ticks');
    await queue.removeScheduler('tick');
    const slots = await repeatJobs(queue, 'tick');
    // on the slot grid, each once; contiguous unless the worker stood still past a slot (a loaded
    // machine), when the missed slots fire once as the earliest (docs/scheduling.md)
    for (let i = 1; i < slots.length; i++) {
      expect(slots[i]! - slots[i - 1]!).toBeGreaterThan(0);
      expect((slots[i]! - slots[i - 1]!) % 100).toBe(0);
    }
    await waitFor(async () => (await queue.getScheduler('three')) === undefined, 10_000, 'three jobs, then done');
    expect(await repeatJobs(queue, 'three')).toHaveLength(3);
  });

  it('immediately fires once at upsert time, then on the schedule; startDate holds the first slot back', async () => {
    t.newPrefix();
    const queue = t.queue('now');
    t.worker('now', async () => 'ok');
    const info = await queue.upsertScheduler('hourly', { every: 3_600_000, immediately: true }, { name: 'h' });
    await waitFor(async () => (await repeatJobs(queue, 'hourly')).length === 1, 10_000, 'the immediate job');
    expect((await repeatJobs(queue, 'hourly'))[0]).toBe(info.next);
    const after = (await queue.getScheduler('hourly'))!;
    expect(after.next! % 3_600_000).toBe(0);
    expect(after.next! - info.next!).toBeLessThanOrEqual(3_600_000);
    const [seconds] = await t.admin.time();
    const start = (Number(seconds) + 3600) * 1000;
    expect((await queue.upsertScheduler('later', { every: 1000, startDate: start }, { name: 'l' })).next).toBe(start);
  });

  it('after downtime the missed slots fire once (or not at all with skipMissed)', async () => {
    t.newPrefix();
    const queue = t.queue('missed');
    await queue.upsertScheduler('catch-up', { every: 100 }, { name: 'c' });
    await queue.upsertScheduler('skip', { every: 100, skipMissed: true }, { name: 's' });
    // downtime: both planned slots lie 5 s (50 slots) in the past
    const [seconds] = await t.admin.time();
    const past = Number(seconds) * 1000 - 5_000;
    await t.admin.zadd(queue.keys.schedulers, past, 'catch-up', past, 'skip');
    t.worker('missed', async () => 'ok');
    await waitFor(
      async () => {
        const s = await queue.getSchedulers();
        return s.length === 2 && s.every((x) => x.next! > past + 5_000);
      },
      10_000,
      'both moved past the downtime',
    );
    await queue.removeScheduler('catch-up');
    await queue.removeScheduler('skip');
    const caught = (await repeatJobs(queue, 'catch-up')).filter((slot) => slot < past + 5_000);
    expect(caught).toEqual([past]);
    expect((await repeatJobs(queue, 'skip')).filter((slot) => slot < past + 5_000)).toEqual([]);
  });

  it('exactly one job per slot with 5 worker processes, two of them killed and restarted', async () => {
    t.newPrefix();
    const queue = t.queue('five');
    const env = { REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'five', CONCURRENCY: 2, LEASE_MS: 500, JOB_MS: 1, BLOCK_MS: 300 };
    const procs = Array.from({ length: 5 }, () => startWorkerProcess(env));
    await Promise.all(procs.map((p) => p.until('ready', 1)));
    await queue.upsertScheduler('beat', { every: 50 }, { name: 'beat' });
    await waitFor(async () => (await repeatJobs(queue, 'beat')).length >= 8, 15_000, 'beats');
    procs[0]!.kill('SIGKILL');
    procs[3]!.kill('SIGKILL');
    procs.push(startWorkerProcess(env), startWorkerProcess(env));
    await waitFor(async () => (await repeatJobs(queue, 'beat')).length >= 30, 20_000, 'more beats');
    await queue.removeScheduler('beat');
    const slots = await repeatJobs(queue, 'beat');
    // no slot fired twice (ids are unique by construction)
    expect(new Set(slots).size).toBe(slots.length);
    // and every slot fired, except around a kill: the worker holding the next due time killed,
    // its backup check taken over late on a loaded machine — or, killed between taking the due
    // time from the wake marker and leaving its backup (idle-wait.ts), the slot left to the next
    // block timeout (300 ms here); a slot later than a whole period fires once for the slots it
    // missed (catch-up). At most one such gap per killed worker, none past the block timeout and
    // two periods.
    const gaps = slots.slice(1).map((slot, i) => slot - slots[i]!);
    expect(gaps.every((gap) => gap % 50 === 0)).toBe(true);
    const stalls = gaps.filter((gap) => gap > 50);
    expect(stalls.length).toBeLessThanOrEqual(2);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(300 + 100);
  });

  // regression: obliterate left the schedulers behind
  it('obliterate also deletes schedulers', async () => {
    t.newPrefix();
    const queue = t.queue('obl-sched');
    await queue.upsertScheduler('tick', { every: 60_000 }, { name: 'tick' });
    await queue.obliterate();
    expect(await queue.getSchedulers()).toEqual([]);
    expect(await t.admin.keys(`${t.prefix}:*`)).toEqual([]);
  });
});
