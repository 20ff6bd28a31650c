// Repeating jobs: the repeat specification, its validation, and the pure arithmetic of slots
// (cron with time zone through cron-parser, or every N ms). `now` is always a parameter: the
// caller passes Redis time, and tests pass fixed dates.
import { CronExpressionParser } from 'cron-parser';
import { InvalidIdError, InvalidOptionError } from '../errors.js';
import { shown } from '../validate.js';

/**
 * When a repeating job runs (the `repeat` argument of `Queue.upsertScheduler`): give exactly one
 * of `pattern` (cron) or `every` (ms). Each time it is due (a slot), one job is added, with the
 * id `repeat:<key>:<slot ms>`, by whichever worker of the queue is running; no slot fires twice.
 * While no worker runs, slots are missed: when one starts again, a single job is added for
 * all of them (or none, with `skipMissed`). Checked when upserted: a bad value throws
 * `InvalidOptionError`.
 *
 * @example A cron pattern in a time zone, and a fixed interval
 * ```ts
 * // every weekday at 07:30, Paris time (summer time included)
 * await queue.upsertScheduler('morning-report', { pattern: '30 7 * * 1-5', tz: 'Europe/Paris' }, {
 *   name: 'report',
 *   data: { kind: 'daily' },
 * });
 *
 * // every 5 minutes, a first job now, 100 jobs in all, none while the workers were down
 * await queue.upsertScheduler('poll-feed', { every: 5 * 60_000, immediately: true, limit: 100, skipMissed: true }, {
 *   name: 'poll',
 *   opts: { attempts: 3, backoff: 10_000 },
 * });
 * ```
 */
export interface RepeatOptions {
  /**
   * A cron pattern: 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds
   * first. Read in `tz`.
   * @default none: give `pattern` or `every`.
   */
  pattern?: string;
  /**
   * The IANA time zone the `pattern` is read in, such as `'Europe/Berlin'`.
   * @default none: the local time zone of each process that computes a slot (the producer for
   * the first one, then the workers), so set it when those may run in different zones.
   */
  tz?: string;
  /**
   * Instead of a pattern: a slot every this many ms (an integer > 0), aligned to `startDate`,
   * or to the epoch (so `every: 3_600_000` fires on the hour, UTC).
   * @default none: give `pattern` or `every`.
   */
  every?: number;
  /**
   * No slot before this time (a Date, or ms since the epoch).
   * @default none: slots from now on.
   */
  startDate?: Date | number;
  /**
   * No slot after this time (a Date, or ms since the epoch); not before `startDate`. Once it
   * has passed, the scheduler is deleted.
   * @default none: no end.
   */
  endDate?: Date | number;
  /**
   * At most this many jobs in all (an integer >= 1); then the scheduler is deleted.
   * @default none: no limit.
   */
  limit?: number;
  /**
   * Also add a job at once, when the scheduler is created (or its repeat changed), before the
   * first slot.
   * @default false
   */
  immediately?: boolean;
  /**
   * After a time with no worker running, skip the missed slots instead of adding one job to
   * catch up.
   * @default false
   */
  skipMissed?: boolean;
}

/**
 * A {@link RepeatOptions} as stored and returned in `SchedulerInfo.repeat`: the dates as ms since
 * the epoch, and only the fields that were set (`immediately` and `skipMissed` only when true).
 */
export interface RepeatSpec {
  /** The cron pattern, when the schedule has one. */
  pattern?: string;
  /** The time zone of the pattern, when one was given. */
  tz?: string;
  /** The interval in ms, when the schedule has no pattern. */
  every?: number;
  /** No slot before this time (ms since the epoch). */
  startDate?: number;
  /** No slot after this time (ms since the epoch). */
  endDate?: number;
  /** At most this many jobs in all. */
  limit?: number;
  /** A job was added at once when the schedule was set. */
  immediately?: boolean;
  /** Missed slots are skipped instead of caught up. */
  skipMissed?: boolean;
}

const KEY_RE = /^[A-Za-z0-9_.-]{1,100}$/;

export function validateSchedulerKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw new InvalidIdError(`scheduler key must be 1-100 characters of letters, digits, _ . -; got ${shown(key)}`);
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
    if (typeof every !== 'number' || !Number.isInteger(every) || every <= 0)
      throw new InvalidOptionError(`every must be an integer number of ms > 0; got ${shown(every)}`);
    spec.every = every;
  }
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
    } catch {
      throw new InvalidOptionError(`unknown time zone ${shown(tz)}; use an IANA name such as "Europe/Berlin"`);
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
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidOptionError(`limit must be an integer >= 1; got ${shown(limit)}`);
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
