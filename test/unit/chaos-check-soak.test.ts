// The soak scenario's checks (chaos/lib/check-late.ts, check-schedulers.ts, check-rate.ts,
// check-fanout.ts, history-views.ts, memory.ts) on made-up histories: each must catch the fault
// it exists for (an early or late start, a skipped or doubled slot, a window over the limit, a
// job missing from a group, a job removed by retention that never completed, memory growth) and
// pass a clean history.
import { describe, expect, it } from 'vitest';
import { check } from '../../chaos/lib/check.js';
import { checkFanOut } from '../../chaos/lib/check-fanout.js';
import { checkLate } from '../../chaos/lib/check-late.js';
import { checkRateLimit } from '../../chaos/lib/check-rate.js';
import { checkSchedulers, parseSlot } from '../../chaos/lib/check-schedulers.js';
import type { FinalJob } from '../../chaos/lib/final-state.js';
import { groupRecords, withHistoryEnds } from '../../chaos/lib/history-views.js';
import type { HistoryRecord } from '../../chaos/lib/history.js';
import { flatness, type MemorySample } from '../../chaos/lib/memory.js';

type Start = Extract<HistoryRecord, { k: 'start' }>;

const add = (id: string): HistoryRecord => ({ k: 'add', id, seq: Number(id), pid: 1, t: 0 });
const start = (id: string, po: number, more: Partial<Start> = {}): HistoryRecord => ({
  k: 'start',
  id,
  seq: Number(id) || -1,
  d: 1,
  st: 0,
  a: 0,
  tk: `${id}.tk1`,
  po,
  pid: 10,
  t: po,
  ...more,
});
const done = (id: string, g?: string): HistoryRecord => ({ k: 'done', id, d: 1, tk: `${id}.tk1`, pid: 10, t: 1, ...(g ? { g } : {}) });
const gone: FinalJob = { state: undefined, deliveries: 0, stalls: 0, result: undefined, finishedOn: undefined, orderingKey: undefined };
const completed: FinalJob = { ...gone, state: 'completed' };

describe('late check', () => {
  it('passes starts leased at or within the tolerance after their due time, and ignores jobs without one', () => {
    const r = checkLate([start('1', 1000, { due: 1000 }), start('2', 1400, { due: 1000 }), start('3', 5)], 500);
    expect(r).toMatchObject({ checked: 2, early: 0, late: 0, max: 400 });
  });

  it('counts a lease before the due time as early and one past the tolerance as late', () => {
    const r = checkLate([start('1', 999, { due: 1000 }), start('2', 1600, { due: 1000 })], 500);
    expect(r).toMatchObject({ checked: 2, early: 1, late: 1, max: 600, maxBeyondBacklog: 600 });
    expect(r.examples.join('\n')).toMatch(/early: job 1 leased 1 ms before/);
  });

  it('forgives the wait every job of the group had then (a backlog), not more', () => {
    // plain job 9 added at 0 waited 1500 ms, leased just before the due jobs
    const records = [add('9'), start('9', 1500), start('1', 1600, { due: 0 }), start('2', 2600, { due: 0 })];
    const r = checkLate(records, 500);
    expect(r).toMatchObject({ checked: 2, late: 1, max: 2600, maxBeyondBacklog: 2600 });
    expect(r.examples).toEqual(['late: job 2 leased 2600 ms after it was due (plain jobs waited 0 ms)']);
  });

  it('judges the first attempt only: a retry is due after its backoff', () => {
    const r = checkLate([start('1', 1000, { due: 1000 }), start('1', 9000, { due: 1000, d: 2, a: 1, tk: 't2' })], 500);
    expect(r).toMatchObject({ checked: 1, late: 0 });
  });
});

describe('scheduler check', () => {
  const every = new Map([['tick', 1000]]);
  const slot = (ms: number) => `repeat:tick:${ms}`;

  it('parses repeat:<key>:<slot>, keys with colons included', () => {
    expect(parseSlot('repeat:a:b:1700000000000')).toEqual({ key: 'a:b', slot: 1_700_000_000_000 });
    expect(parseSlot('42')).toBeUndefined();
  });

  it('passes consecutive slots, each completed once; a retry of a slot is no second slot', () => {
    const recs = [start(slot(1000), 1000), done(slot(1000)), start(slot(2000), 2000), start(slot(2000), 2100, { d: 2, a: 1, tk: 'x' })];
    const r = checkSchedulers([...recs, done(slot(2000)), start(slot(3000), 3000), done(slot(3000))], every);
    expect(r).toMatchObject({ skipped: 0, offGrid: 0, twice: 0, keys: [{ key: 'tick', slots: 3, first: 1000, last: 3000 }] });
  });

  it('counts a skipped slot, a slot off the grid and a slot completed twice', () => {
    const recs = [start(slot(1000), 1000), start(slot(3000), 3000), start(slot(3500), 3500), done(slot(3000)), done(slot(3000))];
    expect(checkSchedulers(recs, every)).toMatchObject({ skipped: 1, offGrid: 1, twice: 1 });
  });

  it('explains slots missed by a catch-up: the slot before them was fired once they were due', () => {
    // slot 1000 fired at 3200: slots 2000 and 3000 collapse into it; 5000 was not due at 3200
    const recs = [start(slot(1000), 3200, { ts: 3200 }), start(slot(4000), 4000, { ts: 4000 }), start(slot(6000), 6000)];
    expect(checkSchedulers(recs, every)).toMatchObject({ caughtUp: 2, skipped: 1 });
  });

  it('counts only the starts of the group checked', () => {
    const recs = [start(slot(1000), 1000), start(slot(2000), 2000, { g: 'audit' }), start(slot(3000), 3000)];
    expect(checkSchedulers(recs, every).skipped).toBe(1);
    expect(checkSchedulers(recs, every, 'audit').keys[0]).toMatchObject({ slots: 1 });
  });
});

describe('rate-limit check', () => {
  const leases = (pos: number[], g = 'audit') => pos.map((po, i) => start(String(i + 1), po, { g }));

  it('passes max leases per window, with a lease exactly one duration after the oldest in a new window', () => {
    const r = checkRateLimit(leases([0, 10, 20, 100, 110, 120]), 'audit', 3, 100);
    expect(r).toMatchObject({ leases: 6, violations: 0, maxInWindow: 3 });
    expect(r.windowsFull).toBeGreaterThan(0);
  });

  it('counts a lease that is the (max + 1)th in a sliding window, even across a fixed-window boundary', () => {
    // 90, 95, 105, 110 lie within 100 ms of each other though they straddle 100
    const r = checkRateLimit(leases([90, 95, 105, 110]), 'audit', 3, 100);
    expect(r).toMatchObject({ violations: 1, maxInWindow: 4 });
  });

  it('counts leases at the same ms together, and one delivery (lease token) once', () => {
    expect(checkRateLimit(leases([5, 5, 5, 5]), 'audit', 3, 100).violations).toBe(1);
    const twice = [start('1', 5, { g: 'audit' }), start('1', 5, { g: 'audit' }), start('2', 6, { g: 'audit' })];
    expect(checkRateLimit(twice, 'audit', 2, 100)).toMatchObject({ leases: 2, violations: 0 });
  });

  it('ignores other groups', () => {
    expect(checkRateLimit(leases([1, 2, 3, 4], 'default'), 'audit', 1, 100).leases).toBe(0);
  });
});

describe('fan-out check and retention', () => {
  it('passes a job finished in every group, and counts one missing from a group', () => {
    const records = [add('1'), add('2'), done('1'), done('1', 'audit'), done('2')];
    const finals = new Map([
      [
        'default',
        new Map([
          ['1', completed],
          ['2', completed],
        ]),
      ],
      [
        'audit',
        new Map([
          ['1', completed],
          ['2', gone],
        ]),
      ],
    ]);
    const r = checkFanOut(records, finals);
    expect(r.groups).toEqual([
      { group: 'default', finished: 2, missed: 0, completedTwice: 0 },
      { group: 'audit', finished: 1, missed: 1, completedTwice: 0 },
    ]);
  });

  it('counts a scheduler job that ran as a job every group must finish, and two acks in a group', () => {
    const records = [start('repeat:t:1000', 1000), done('repeat:t:1000'), done('repeat:t:1000')];
    const r = checkFanOut(records, new Map([['default', new Map([['repeat:t:1000', completed]])]]));
    expect(r).toMatchObject({ jobs: 1, groups: [{ finished: 1, completedTwice: 1 }] });
  });

  it('a job removed by retention is completed when the group accepted its ack, and lost when it did not', () => {
    const records = [add('1'), add('2'), add('3'), start('1', 1), done('1'), start('2', 1), done('2', 'audit'), start('3', 1)];
    const failed: HistoryRecord = { k: 'failed', id: '3', d: 1, err: 'x', retry: false, pid: 10, t: 2 };
    const { finals, fromHistory } = withHistoryEnds(
      [...records, failed],
      new Map([
        ['1', gone],
        ['2', gone],
        ['3', gone],
      ]),
      'default',
    );
    expect(fromHistory).toBe(2);
    expect(finals.get('1')?.state).toBe('completed');
    expect(finals.get('2')?.state).toBeUndefined(); // only the audit group completed it
    expect(finals.get('3')?.state).toBe('failed');
    const r = check(groupRecords([...records, failed], 'default'), finals);
    expect(r).toMatchObject({ completed: 1, deadLettered: 1, lost: 1 });
  });

  it("keeps the default group's records apart from another group's, so a fan-out job is no duplicate", () => {
    const records = [add('1'), start('1', 1), start('1', 2, { g: 'audit', tk: 'a' }), done('1'), done('1', 'audit')];
    const r = check(groupRecords(records, 'default'), new Map([['1', completed]]));
    expect(r).toMatchObject({ starts: 1, duplicatesUnexplained: 0 });
    expect(groupRecords(records, 'audit', false).filter((x) => x.k === 'start')).toHaveLength(1);
  });
});

describe('memory flatness', () => {
  const series = (values: number[]): MemorySample[] => values.map((v, i) => ({ at: i * 10, redis: v, rss: v }));

  it('is flat when the last samples stay within the growth of the first ones after warm-up', () => {
    const f = flatness(series([1, 50, 100, 100, 105, 110, 100, 115]), (s) => s.redis, 20, 0.2, 0);
    expect(f).toMatchObject({ flat: true, first: 1, max: 115 });
  });

  it('is not flat when it keeps growing, or with too few samples after warm-up', () => {
    expect(flatness(series([1, 50, 100, 110, 120, 130, 140, 150]), (s) => s.redis, 20, 0.2, 0).flat).toBe(false);
    expect(flatness(series([1, 50, 100]), (s) => s.redis, 20, 0.2, 0).flat).toBe(false);
  });
});
