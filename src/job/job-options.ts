// Job options: their types, defaults and validation, all in one place (the checks every options
// object shares are in src/validate.ts). Validation happens
// before anything is written, so a bad option never leaves a half-added job behind.
import { validateBackoff, type BackoffOptions } from './backoff.js';
import type { EvictionPolicyMode } from '../redis/connection.js';
import { InvalidIdError, InvalidOptionError } from '../errors.js';
import { checkOptionNames, isInt, isWellFormed, shown } from '../validate.js';
import { validateTraceContext, type TraceContext } from '../telemetry/trace-context.js';

/**
 * How many finished jobs a group keeps (the `removeOnComplete` and `removeOnFail` options):
 * - `true`: remove the job as soon as it finishes;
 * - `false`: keep every finished job (no limit);
 * - a number: keep that many of the newest;
 * - `{ count, age }`: keep at most `count` jobs and none older than `age` seconds; a field left
 *   out sets no limit of that kind.
 */
export type KeepJobs = boolean | number | { count?: number; age?: number };

/**
 * The options of one job, given to `Queue.add` and `Queue.addBulk` (and as the queue's
 * `defaultJobOptions`, which a job's own options override one by one). Every option is checked
 * before anything is written: a wrong value throws `InvalidOptionError`, an unknown key
 * `UnknownOptionError`, a bad `jobId` `InvalidIdError`.
 *
 * @example Retry up to 5 times with exponential backoff, starting in a minute
 * ```ts
 * await queue.add('send-invoice', { invoiceId: 'inv-1042' }, {
 *   jobId: 'invoice-inv-1042',          // adding it twice adds it once
 *   delay: 60_000,                      // not before a minute from now
 *   attempts: 5,                        // 1 run + up to 4 retries
 *   backoff: { type: 'exponential', delay: 1_000, jitter: 0.2 }, // 1, 2, 4, 8 s, each up to 20% less
 *   timeout: 30_000,                    // each attempt fails after 30 s
 *   removeOnComplete: { age: 3600 },    // keep completed jobs for an hour
 * });
 * ```
 */
export interface JobsOptions {
  /**
   * Your own id for the job; adding a job whose id exists returns the existing job and writes
   * nothing. 1-128 characters without spaces, braces or control characters; not all digits,
   * and not of the form `digits-digits` (generated ids have these forms).
   * @default none: sluice generates an id.
   */
  jobId?: string;
  /**
   * Wait this many ms (of Redis time) before the job may run; an integer >= 0.
   * @default none: the job may run at once.
   */
  delay?: number;
  /**
   * How many times the job may run before it fails for good: 1 means no retries. An
   * integer from 1 to 1,000,000.
   * @default 1
   */
  attempts?: number;
  /**
   * How long a failed job waits before its next attempt: a number of ms, or a
   * {@link BackoffOptions} (`fixed`, `exponential`, or a strategy registered on the worker).
   * Used only when `attempts` is over 1.
   * @default none: a retry may run at once.
   */
  backoff?: number | BackoffOptions;
  /**
   * Runs the job by priority: 1 (highest) to 2,097,152 (lowest); jobs of one priority run in
   * the order they were added. Jobs without a priority run before prioritised ones. Cannot be
   * combined with `lifo` or `orderingKey`.
   * @default none: the job runs in the order added.
   */
  priority?: number;
  /**
   * Each attempt may run this many ms: then the processor's `signal` aborts and the attempt
   * fails with `JobTimeoutError` (it counts as a failed attempt). An integer from 1 to
   * 2,147,483,647 (about 24.8 days).
   * @default none: no time limit.
   */
  timeout?: number;
  /**
   * How many completed jobs the group keeps, and for how long (age in seconds): see
   * {@link KeepJobs}. A job's return value can be read only while it is kept.
   * @default { age: 3600, count: 1000 } (an hour, and at most 1,000 jobs)
   */
  removeOnComplete?: KeepJobs;
  /**
   * How many jobs that failed for good the group keeps, and for how long (age in seconds): see
   * {@link KeepJobs}.
   * @default { age: 604800, count: 10000 } (7 days, and at most 10,000 jobs)
   */
  removeOnFail?: KeepJobs;
  /**
   * Put the job at the front of the line (last in, first out). Cannot be combined with
   * `priority` or `orderingKey`.
   * @default false
   */
  lifo?: boolean;
  /**
   * The job must start within this many ms of being added, or it fails as expired; an
   * integer >= 1. Give `ttl` or `startBy`, not both.
   * @default none: the job never expires.
   */
  ttl?: number;
  /**
   * The job must start by this time (a Date, or ms since the epoch), or it fails as expired.
   * Give `ttl` or `startBy`, not both.
   * @default none: the job never expires.
   */
  startBy?: Date | number;
  /**
   * While the id is held, further adds with it return the holder instead of adding. Without
   * `ttl`, the job holds the id until it completes or fails for good, or is removed or drained.
   * With `ttl`, the id is held for `ttl` ms from the add, whatever becomes of the job (even if it
   * finishes and is removed sooner), and a later add does not extend that (throttling).
   * In a queue without a `default` group the id belongs to the published job, which lives only
   * until every group has its own copy: without `ttl` it is released then (as it is added, for
   * prioritised, lifo and ordered jobs; when the last group first leases it, for others), so an
   * add can be accepted while the first job still waits or runs; give a `ttl` to hold it longer.
   * With `replace`, a holder that still waits takes the new data and options, and a delayed one
   * restarts its delay (debounce).
   * `id` follows the rules of `jobId`; `ttl` is an integer number of ms >= 1.
   * @default none: every add adds a job.
   */
  deduplication?: { id: string; ttl?: number; replace?: boolean };
  /**
   * Jobs sharing an ordering key run one at a time (the group's keyConcurrency) in the order
   * they were added, through retries; different keys run in parallel (message groups).
   * 1-128 characters without spaces, braces or control characters. Cannot be combined with
   * `priority` or `lifo`.
   * @default none: the job is not ordered.
   */
  orderingKey?: string;
  /**
   * With an orderingKey: while this job waits for a retry, its key's later jobs may go ahead
   * (default false: a failing job holds its key until it succeeds or fails for good).
   * @default false
   */
  releaseKeyOnRetry?: boolean;
  /**
   * The W3C trace context the job carries to its worker (docs/telemetry.md): set by sluice's
   * producer span when OpenTelemetry is installed, or by you. `traceparent` is checked;
   * `tracestate` is at most 512 printable characters.
   * @default the active span's context when OpenTelemetry is installed, else none
   */
  traceContext?: TraceContext;
}

export const DEFAULT_REMOVE_ON_COMPLETE = { age: 3600, count: 1000 } as const;
export const DEFAULT_REMOVE_ON_FAIL = { age: 7 * 24 * 3600, count: 10_000 } as const;
export const DEFAULT_MAX_PAYLOAD_BYTES = 512 * 1024;
export const MAX_PRIORITY = 2_097_152;

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const JOB_ID_RE = /^[^\s{}\x00-\x1f]{1,128}$/;

/** The shape of a job id, deduplication id or ordering key; a lone surrogate would not survive Redis (UTF-8). */
function isIdLike(id: unknown): id is string {
  return typeof id === 'string' && JOB_ID_RE.test(id) && isWellFormed(id);
}

export function validateJobId(id: unknown): string {
  if (!isIdLike(id)) {
    throw new InvalidIdError(
      `jobId must be a string of 1-128 characters without spaces, braces, control characters or lone surrogates; got ${shown(id)}`,
    );
  }
  if (/^\d+-\d+$/.test(id)) {
    throw new InvalidIdError(
      `jobId "${id}" has the form of a stream entry id, which generated ids use; add a prefix such as "order-${id}"`,
    );
  }
  if (/^\d+$/.test(id)) {
    throw new InvalidIdError(`jobId "${id}" is all digits, which could collide with generated ids; add a prefix such as "order-${id}"`);
  }
  return id;
}

function validateKeep(name: string, keep: unknown): void {
  if (keep === undefined || typeof keep === 'boolean') return;
  if (typeof keep === 'number') {
    if (!isInt(keep, 0)) throw new InvalidOptionError(`${name} must be true/false, a count >= 0, or { count, age }; got ${keep}`);
    return;
  }
  if (typeof keep !== 'object' || keep === null || Array.isArray(keep))
    throw new InvalidOptionError(`${name} must be true/false, a count, or { count, age }`);
  const { count, age } = keep as { count?: unknown; age?: unknown };
  if (count !== undefined && !isInt(count, 0)) throw new InvalidOptionError(`${name}.count must be an integer >= 0; got ${shown(count)}`);
  if (age !== undefined && !(typeof age === 'number' && age >= 0 && Number.isFinite(age))) {
    throw new InvalidOptionError(`${name}.age must be a number of seconds >= 0; got ${shown(age)}`);
  }
}

/** The keys of a job's options (add() also takes `wait`). */
export const JOB_OPTION_NAMES = [
  'jobId',
  'delay',
  'attempts',
  'backoff',
  'priority',
  'timeout',
  'removeOnComplete',
  'removeOnFail',
  'lifo',
  'ttl',
  'startBy',
  'deduplication',
  'orderingKey',
  'releaseKeyOnRetry',
  'traceContext',
] as const;

/** What Queue and Worker do when Redis may evict keys (the evictionPolicy option). */
export const EVICTION_MODES: readonly EvictionPolicyMode[] = ['warn', 'refuse', 'ignore'];

/**
 * The stored JSON of validated job options. A value JSON cannot carry (a BigInt deep in an
 * option) or a string with a lone surrogate (Lua's cjson refuses its escape) is refused here,
 * before anything is written, rather than by JSON.stringify or by Redis.
 */
export function optionsJson(opts: object): string {
  try {
    return JSON.stringify(opts, (_key, value: unknown) => {
      if (typeof value === 'string' && !isWellFormed(value))
        throw new InvalidOptionError(`job options hold a string with a lone surrogate: ${shown(value)}`);
      return value;
    });
  } catch (err) {
    if (err instanceof InvalidOptionError) throw err;
    throw new InvalidOptionError(`job options are not JSON-serialisable (${(err as Error).message})`);
  }
}

export function validateJobOptions(opts: unknown): JobsOptions {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new InvalidOptionError('job options must be an object');
  checkOptionNames('job options', opts, JOB_OPTION_NAMES);
  const o = opts as JobsOptions;
  checkNestedJobOptions(o);
  if (o.jobId !== undefined) validateJobId(o.jobId);
  if (o.delay !== undefined && !isInt(o.delay, 0))
    throw new InvalidOptionError(`delay must be an integer number of ms >= 0; got ${shown(o.delay)}`);
  if (o.attempts !== undefined && !isInt(o.attempts, 1, 1_000_000))
    throw new InvalidOptionError(`attempts must be an integer >= 1; got ${shown(o.attempts)}`);
  if (o.priority !== undefined && !isInt(o.priority, 1, MAX_PRIORITY)) {
    throw new InvalidOptionError(`priority must be an integer from 1 (highest) to ${MAX_PRIORITY} (lowest); got ${shown(o.priority)}`);
  }
  if (o.timeout !== undefined && !isInt(o.timeout, 1, 2 ** 31 - 1)) {
    throw new InvalidOptionError(
      `timeout must be an integer number of ms from 1 to ${2 ** 31 - 1} (about 24.8 days); got ${shown(o.timeout)}`,
    );
  }
  validateBackoff(o.backoff);
  if (o.lifo !== undefined && typeof o.lifo !== 'boolean') throw new InvalidOptionError(`lifo must be true or false; got ${shown(o.lifo)}`);
  if (o.lifo && o.priority !== undefined)
    throw new InvalidOptionError('lifo and priority cannot be combined: a prioritised job runs by its priority');
  if (o.ttl !== undefined && !isInt(o.ttl, 1))
    throw new InvalidOptionError(`ttl must be an integer number of ms >= 1; got ${shown(o.ttl)}`);
  if (o.startBy !== undefined) {
    const at = o.startBy instanceof Date ? o.startBy.getTime() : o.startBy;
    if (typeof at !== 'number' || !Number.isFinite(at) || at <= 0)
      throw new InvalidOptionError('startBy must be a Date or a time in ms since the epoch');
    if (o.ttl !== undefined) throw new InvalidOptionError('give ttl or startBy, not both');
  }
  if (o.deduplication !== undefined) {
    const d = o.deduplication as { id?: unknown; ttl?: unknown; replace?: unknown };
    if (typeof d !== 'object' || d === null) throw new InvalidOptionError('deduplication must be { id, ttl?, replace? }');
    if (!isIdLike(d.id)) {
      throw new InvalidOptionError(
        'deduplication.id must be a string of 1-128 characters without spaces, braces, control characters or lone surrogates; ' +
          `got ${shown(d.id)}`,
      );
    }
    if (d.ttl !== undefined && !isInt(d.ttl, 1))
      throw new InvalidOptionError(`deduplication.ttl must be an integer number of ms >= 1; got ${shown(d.ttl)}`);
    if (d.replace !== undefined && typeof d.replace !== 'boolean')
      throw new InvalidOptionError('deduplication.replace must be true or false');
  }
  if (o.orderingKey !== undefined) {
    if (!isIdLike(o.orderingKey)) {
      throw new InvalidOptionError(
        'orderingKey must be a string of 1-128 characters without spaces, braces, control characters or lone surrogates; ' +
          `got ${shown(o.orderingKey)}`,
      );
    }
    if (o.priority !== undefined || o.lifo)
      throw new InvalidOptionError('orderingKey cannot be combined with priority or lifo: a key runs its jobs in the order added');
  }
  if (o.releaseKeyOnRetry !== undefined && typeof o.releaseKeyOnRetry !== 'boolean') {
    throw new InvalidOptionError(`releaseKeyOnRetry must be true or false; got ${shown(o.releaseKeyOnRetry)}`);
  }
  validateKeep('removeOnComplete', o.removeOnComplete);
  validateKeep('removeOnFail', o.removeOnFail);
  if (o.traceContext !== undefined) validateTraceContext(o.traceContext);
  return o;
}

/** The keys of the job options that are objects; their values' types are checked after. */
function checkNestedJobOptions(o: JobsOptions): void {
  const nested = (name: string, value: unknown, known: readonly string[]) => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date))
      checkOptionNames('job options', value, known, `${name}.`);
  };
  nested('backoff', o.backoff, ['type', 'delay', 'jitter']);
  nested('deduplication', o.deduplication, ['id', 'ttl', 'replace']);
  nested('removeOnComplete', o.removeOnComplete, ['count', 'age']);
  nested('removeOnFail', o.removeOnFail, ['count', 'age']);
}

/** A retention policy as the scripts take it: [count, ageMs], -1 meaning no limit. */
export function keepPolicy(keep: KeepJobs | undefined, fallback: { age: number; count: number }): [number, number] {
  if (keep === undefined) return [fallback.count, fallback.age * 1000];
  if (keep === true) return [0, -1];
  if (keep === false) return [-1, -1];
  if (typeof keep === 'number') return [keep, -1];
  return [keep.count ?? -1, keep.age === undefined ? -1 : Math.round(keep.age * 1000)];
}

/**
 * The schedule part of a job's options, as enqueue.lua takes it: '' when the job is plain
 * (nothing scheduled), else JSON with only the fields that are set.
 */
export function encodeSchedule(o: JobsOptions): string {
  const schedule: Record<string, unknown> = {};
  if (o.delay) schedule.delay = o.delay;
  if (o.priority) schedule.priority = o.priority;
  if (o.lifo) schedule.lifo = true;
  if (o.ttl) schedule.ttl = o.ttl;
  if (o.startBy !== undefined) schedule.startBy = o.startBy instanceof Date ? o.startBy.getTime() : o.startBy;
  if (o.orderingKey) schedule.orderingKey = o.orderingKey;
  if (o.deduplication) {
    const { id, ttl, replace } = o.deduplication;
    schedule.dedup = { id, ...(ttl ? { ttl } : {}), ...(replace ? { replace: true } : {}) };
  }
  return Object.keys(schedule).length ? JSON.stringify(schedule) : '';
}
