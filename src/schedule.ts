// Repeating jobs: the repeat specification, its validation, and the pure arithmetic of slots
// (cron with time zone through cron-parser, or every N ms). `now` is always a parameter: the
// caller passes Redis time, and tests pass fixed dates.
import { CronExpressionParser } from 'cron-parser';
import { InvalidIdError, InvalidOptionError } from './errors.js';

export interface RepeatOptions {
  /** Cron pattern (5 fields, or 6 with seconds first). */
  pattern?: string;
  /** IANA time zone for the pattern (default UTC). */
  tz?: string;
  /** Instead of a pattern: a slot every this many ms (aligned to startDate, or to the epoch). */
  every?: number;
  /** No slot before this time. */
  startDate?: Date | number;
  /** No slot after this time. */
  endDate?: Date | number;
  /** At most this many jobs in all. */
  limit?: number;
  /** Also fire once at upsert time. */
  immediately?: boolean;
  /** After downtime, skip the missed slots instead of firing once to catch up. */
  skipMissed?: boolean;
}

/** The stored, normalised form (times as ms). */
export interface RepeatSpec {
  pattern?: string;
  tz?: string;
  every?: number;
  startDate?: number;
  endDate?: number;
  limit?: number;
  immediately?: boolean;
  skipMissed?: boolean;
}

const KEY_RE = /^[A-Za-z0-9_.-]{1,100}$/;

export function validateSchedulerKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw new InvalidIdError(`scheduler key must be 1-100 characters of letters, digits, _ . -; got ${JSON.stringify(key)}`);
  }
  return key;
}

function toMs(name: string, value: Date | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new InvalidOptionError(`${name} must be a Date or ms since the epoch`);
  return ms;
}

export function normaliseRepeat(repeat: RepeatOptions): RepeatSpec {
  if (typeof repeat !== 'object' || repeat === null) throw new InvalidOptionError('repeat must be { pattern, tz? } or { every }');
  const { pattern, tz, every, limit, immediately, skipMissed } = repeat;
  if ((pattern === undefined) === (every === undefined)) throw new InvalidOptionError('give exactly one of pattern (cron) or every (ms)');
  const spec: RepeatSpec = {};
  if (every !== undefined) {
    if (typeof every !== 'number' || !Number.isInteger(every) || every <= 0) throw new InvalidOptionError(`every must be an integer number of ms > 0; got ${String(every)}`);
    spec.every = every;
  }
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      throw new InvalidOptionError(`unknown time zone "${tz}"; use an IANA name such as "Europe/Berlin"`);
    }
    spec.tz = tz;
  }
  if (pattern !== undefined) {
    if (typeof pattern !== 'string') throw new InvalidOptionError('pattern must be a cron string');
    try {
      CronExpressionParser.parse(pattern, { tz: spec.tz }).next();
    } catch (err) {
      throw new InvalidOptionError(`bad cron pattern "${pattern}": ${(err as Error).message}`);
    }
    spec.pattern = pattern;
  }
  const startDate = toMs('startDate', repeat.startDate);
  const endDate = toMs('endDate', repeat.endDate);
  if (startDate !== undefined) spec.startDate = startDate;
  if (endDate !== undefined) spec.endDate = endDate;
  if (startDate !== undefined && endDate !== undefined && endDate < startDate) throw new InvalidOptionError('endDate is before startDate');
  if (limit !== undefined) {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidOptionError(`limit must be an integer >= 1; got ${String(limit)}`);
    spec.limit = limit;
  }
  if (immediately) spec.immediately = true;
  if (skipMissed) spec.skipMissed = true;
  return spec;
}

/**
 * The first slot strictly after `afterMs`, or undefined when the schedule is over (endDate,
 * or `fired` has reached the limit).
 */
export function nextSlot(spec: RepeatSpec, afterMs: number, fired = 0): number | undefined {
  if (spec.limit !== undefined && fired >= spec.limit) return undefined;
  const from = spec.startDate !== undefined ? Math.max(afterMs, spec.startDate - 1) : afterMs;
  let slot: number;
  if (spec.every !== undefined) {
    const origin = spec.startDate ?? 0;
    slot = origin + (Math.floor((from - origin) / spec.every) + 1) * spec.every;
  } else {
    const it = CronExpressionParser.parse(spec.pattern!, { currentDate: new Date(from), tz: spec.tz });
    slot = it.next().getTime();
  }
  if (spec.endDate !== undefined && slot > spec.endDate) return undefined;
  return slot;
}

/** The first slot for a new scheduler: now, if it fires immediately, else the next one. */
export function firstSlot(spec: RepeatSpec, nowMs: number): number | undefined {
  if (spec.immediately) return nowMs;
  return nextSlot(spec, nowMs);
}

/** The id of the job of one slot: a second fire of the same slot is impossible by construction. */
export function slotJobId(key: string, slotMs: number): string {
  return `repeat:${key}:${slotMs}`;
}
