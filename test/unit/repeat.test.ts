// Repeating jobs' pure arithmetic (src/scheduling/repeat.ts): normaliseRepeat checks and stores
// a repeat specification, nextSlot and firstSlot compute slots from a given time (fixed dates
// here; the callers pass Redis time). Redis-free.
import { describe, expect, it } from 'vitest';
import { InvalidIdError, InvalidOptionError } from '../../src/errors.js';
import { firstSlot, nextSlot, normaliseRepeat, slotJobId, validateSchedulerKey } from '../../src/scheduling/repeat.js';

const day = 24 * 3600 * 1000;

describe('slot arithmetic', () => {
  it('every N ms: aligned to startDate, or to the epoch', () => {
    expect(nextSlot(normaliseRepeat({ every: 1000 }), 5_500)).toBe(6_000);
    expect(nextSlot(normaliseRepeat({ every: 1000, startDate: 250 }), 5_500)).toBe(6_250);
    expect(nextSlot(normaliseRepeat({ every: 1000, startDate: 10_000 }), 5_500)).toBe(10_000);
    expect(nextSlot(normaliseRepeat({ every: 1000, endDate: 6_000 }), 6_000)).toBeUndefined();
    expect(nextSlot(normaliseRepeat({ every: 1000, limit: 2 }), 0, 2)).toBeUndefined();
  });

  it('cron with a seconds field and a time zone', () => {
    const spec = normaliseRepeat({ pattern: '*/10 * * * * *' });
    expect(nextSlot(spec, Date.UTC(2026, 0, 1, 0, 0, 5))).toBe(Date.UTC(2026, 0, 1, 0, 0, 10));
    const berlin = normaliseRepeat({ pattern: '0 9 * * 1-5', tz: 'Europe/Berlin' });
    // Friday 2026-11-27 09:00 in Berlin is 08:00 UTC; the next after it is Monday
    expect(nextSlot(berlin, Date.UTC(2026, 10, 27, 7, 0))).toBe(Date.UTC(2026, 10, 27, 8, 0));
    expect(nextSlot(berlin, Date.UTC(2026, 10, 27, 8, 0))).toBe(Date.UTC(2026, 10, 30, 8, 0));
  });

  it('daylight saving: a 02:30 daily job in Europe/Berlin runs once on spring-forward and fall-back days', () => {
    const spec = normaliseRepeat({ pattern: '30 2 * * *', tz: 'Europe/Berlin' });
    for (const [from, dayStart] of [
      [Date.UTC(2026, 2, 28, 12), Date.UTC(2026, 2, 28, 23)], // 29 March 2026: 02:00 -> 03:00
      [Date.UTC(2026, 9, 24, 12), Date.UTC(2026, 9, 24, 22)], // 25 October 2026: 03:00 -> 02:00
    ] as const) {
      const slots: number[] = [];
      let at = from;
      for (let i = 0; i < 3; i++) slots.push((at = nextSlot(spec, at)!));
      const onTheDay = slots.filter((s) => s >= dayStart && s < dayStart + day);
      expect(onTheDay).toHaveLength(1);
      expect(slots[1]! - slots[0]!).toBeGreaterThanOrEqual(day - 3600_000);
      expect(slots[2]! - slots[1]!).toBeLessThanOrEqual(day + 3600_000);
    }
  });

  it('bad patterns, unknown time zones and every <= 0 are refused', () => {
    expect(() => normaliseRepeat({ pattern: '61 * * * *' })).toThrow(InvalidOptionError);
    expect(() => normaliseRepeat({ pattern: '0 9 * * *', tz: 'Mars/Olympus' })).toThrow(InvalidOptionError);
    expect(() => normaliseRepeat({ every: 0 })).toThrow(InvalidOptionError);
    expect(() => normaliseRepeat({ every: -5 })).toThrow(InvalidOptionError);
    expect(() => normaliseRepeat({ pattern: '* * * * *', every: 5 })).toThrow(InvalidOptionError);
  });

  it('the slot is strictly after the time given, also on a slot', () => {
    const spec = normaliseRepeat({ every: 1000 });
    expect(nextSlot(spec, 6_000)).toBe(7_000);
    expect(nextSlot(spec, 5_999)).toBe(6_000);
    expect(nextSlot(normaliseRepeat({ pattern: '0 * * * *' }), Date.UTC(2026, 0, 1, 10))).toBe(Date.UTC(2026, 0, 1, 11));
  });

  it('startDate is itself a slot; endDate is the last possible one', () => {
    const spec = normaliseRepeat({ every: 1000, startDate: 10_000, endDate: 12_000 });
    expect(nextSlot(spec, 0)).toBe(10_000);
    expect(nextSlot(spec, 11_000)).toBe(12_000);
    expect(nextSlot(spec, 12_000)).toBeUndefined();
  });

  it('limit: slots until `fired` reaches it', () => {
    const spec = normaliseRepeat({ every: 1000, limit: 3 });
    expect(nextSlot(spec, 0, 2)).toBe(1000);
    expect(nextSlot(spec, 0, 3)).toBeUndefined();
  });

  it('firstSlot: now when it fires immediately, else the next slot', () => {
    expect(firstSlot(normaliseRepeat({ every: 1000 }), 5_500)).toBe(6_000);
    expect(firstSlot(normaliseRepeat({ every: 1000, immediately: true }), 5_500)).toBe(5_500);
  });
});

describe('normaliseRepeat', () => {
  it('keeps only the fields set, dates as ms, immediately and skipMissed only when true', () => {
    expect(normaliseRepeat({ every: 500, immediately: false, skipMissed: false })).toEqual({ every: 500 });
    expect(
      normaliseRepeat({
        pattern: '0 9 * * *',
        tz: 'Europe/Paris',
        startDate: new Date(1000),
        endDate: 2000,
        limit: 4,
        immediately: true,
        skipMissed: true,
      }),
    ).toEqual({
      pattern: '0 9 * * *',
      tz: 'Europe/Paris',
      startDate: 1000,
      endDate: 2000,
      limit: 4,
      immediately: true,
      skipMissed: true,
    });
  });

  it.each<[string, unknown]>([
    ['not an object', 'every minute'],
    ['null', null],
    ['neither pattern nor every', {}],
    ['a fractional every', { every: 1.5 }],
    ['every as a string', { every: '1000' }],
    ['a pattern that is not a string', { pattern: 5 }],
    ['an invalid startDate', { every: 1000, startDate: new Date('no') }],
    ['an endDate that is not a number', { every: 1000, endDate: '2026' }],
    ['endDate before startDate', { every: 1000, startDate: 2000, endDate: 1000 }],
    ['limit 0', { every: 1000, limit: 0 }],
    ['a fractional limit', { every: 1000, limit: 2.5 }],
  ])('refuses %s with InvalidOptionError', (_, repeat) => {
    expect(() => normaliseRepeat(repeat as never)).toThrow(InvalidOptionError);
  });
});

describe('scheduler keys and slot job ids', () => {
  it('a key is 1-100 letters, digits, _ . -; anything else is an InvalidIdError', () => {
    expect(validateSchedulerKey('daily-report.v2')).toBe('daily-report.v2');
    for (const bad of ['', 'a:b', 'a b', 'x'.repeat(101), 7]) expect(() => validateSchedulerKey(bad)).toThrow(InvalidIdError);
  });

  it('the job of a slot has the id repeat:<key>:<slot>', () => {
    expect(slotJobId('tick', 6000)).toBe('repeat:tick:6000');
  });
});
