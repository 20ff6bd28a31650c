// A job as the API shows it: its data and record, read from Redis or handed to a processor.
// Methods that change the job go through the scripts; those that belong to the processor
// (progress, log, lease) prove the lease with the delivery's token.
import { guardRedisErrors } from '../redis/redis-errors.js';
import { InvalidOptionError, JobActiveError, JobNotFoundError, LeaseLostError } from '../errors.js';
import { JobField } from '../redis/keys.js';
import type { JobsOptions } from './job-options.js';
import { fromJson, toJson } from './payload.js';
import type { LeasedJobRaw } from '../redis/scripts.js';
import type { JobContext, LeaseHandle } from './job-context.js';
import { findWaitingEntry, publishedNotYetMet } from '../redis/streams.js';
import { recordData } from './job-data.js';
import type { QueueEvents } from '../events/queue-events.js';
import { addJobAliases, type BullmqJobAliases } from '../queue/bullmq-aliases.js';
import { addJobControls, withPlacement, type JobControls } from './job-controls.js';
import type { JobState } from './job-state.js';
import { addFlowMethods, type FlowJobMethods } from '../flow/job-flow-methods.js';

export type { JobState } from './job-state.js';

const MAX_LOG_LINES = 1000;
/** Parsed (frozen) job options by their JSON text. */
const parsedOpts = new Map<string, unknown>();

/**
 * BullMQ's names for some methods (extendLock): bullmq-aliases.ts; updateData, changePriority:
 * job-controls.ts; the flow methods: src/flow/job-flow-methods.ts.
 */
// biome-ignore lint/correctness/noUnusedVariables: the type parameters must match the class it merges with
export interface Job<Data = unknown, Result = unknown> extends BullmqJobAliases, JobControls<Data>, FlowJobMethods {}

/**
 * One job of a queue, as one consumer group sees it: its data, options and record (attempts,
 * progress, result, failure). You get a Job from `Queue.add`, from `Queue.getJob` and
 * `Queue.getJobs`, and as the first argument of your processor.
 *
 * The fields are a snapshot taken when the object was made; read the job again (for example
 * with `Queue.getJob`) to see later changes. Methods that write for the running attempt
 * (`updateProgress`, `log`, `extendLease`) work only on the Job handed to a processor, and only
 * while that worker still holds the job's lease.
 *
 * When Redis fails, every method rejects with a typed error: `RedisUnavailableError`
 * (unreachable, timed out, connection dropped), `RedisOutOfMemoryError` or `RedisReadOnlyError`
 * (a write refused), or `RedisCommandError` (any other error reply).
 *
 * @typeParam Data - the type of the job's data.
 * @typeParam Result - the type its processor returns.
 *
 * @example Report progress and take a longer lease from a processor
 * ```ts
 * const worker = new Worker<{ files: string[] }>('exports', async (job, { signal }) => {
 *   await job.extendLease(120_000); // this job may block for a while between renewals
 *   for (const [i, file] of job.data.files.entries()) {
 *     if (signal.aborted) signal.throwIfAborted();
 *     await exportFile(file);
 *     await job.updateProgress({ done: i + 1, of: job.data.files.length });
 *     await job.log(`exported ${file}`);
 *   }
 *   return { count: job.data.files.length };
 * }, { connection: { host: 'localhost', port: 6379 } });
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class Job<Data = unknown, Result = unknown> {
  static {
    addJobControls(Job); // before the guard, which wraps the methods the prototype has
    addFlowMethods(Job);
    guardRedisErrors(Job, (job) => job.ctx.client); // Redis failures become typed errors
    addJobAliases(Job);
  }

  /** The name of the queue the job was added to. */
  readonly queueName: string;
  /** The consumer group whose record of the job this is (each group keeps its own state). */
  readonly group: string;
  /**
   * The job's id: the `jobId` option given to add(), or one sluice generated: a Redis stream
   * entry id such as `"1718000000000-0"` for a plain job, a number such as `"42"` for a delayed,
   * prioritised, lifo, ordered or deduplicated one.
   */
  readonly id: string;
  /** The name given to add(); a processor can branch on it. */
  readonly name: string;
  /** The data given to add(), as it came back from JSON. */
  readonly data: Data;
  /** The job's options: the queue's `defaultJobOptions` overlaid with those given to add(). */
  readonly opts: JobsOptions;
  /** When the job was added (ms of Redis time). */
  readonly timestamp: number;
  /** Failed attempts so far (0 until one fails; reset to 0 by retry()). */
  attemptsMade = 0;
  /** Times the job was leased to a worker (including deliveries after a crash). */
  deliveries = 0;
  /** Times its lease expired with the worker silent (crash, freeze). */
  stalls = 0;
  /**
   * The last progress stored with updateProgress (a number or a JSON object); 0 until then.
   * A Job handed to a processor starts at 0 and follows its own updateProgress calls.
   */
  progress: unknown = 0;
  /** What the processor returned, once the job completed; undefined before that. */
  returnvalue: Result | undefined;
  /** The error message of the latest failed attempt; undefined while no attempt has failed. */
  failedReason: string | undefined;
  /** The stack trace of the latest failed attempt, as lines (at most 20); empty before one fails. */
  stacktrace: string[] = [];
  /** When the latest attempt started (ms since the epoch, Redis time); undefined before the first. */
  processedOn: number | undefined;
  /** When the job completed or failed for good (ms since the epoch); undefined until then. */
  finishedOn: number | undefined;
  /**
   * The lease token of this delivery, the same as the processor's `ctx.token`: set only on a
   * Job handed to a processor; undefined on one read or added by a Queue.
   */
  readonly token: string | undefined;
  private readonly lease: LeaseHandle | undefined;

  private constructor(
    private readonly ctx: JobContext,
    init: { id: string; name: string; data: Data; opts: JobsOptions; timestamp: number; token?: string; lease?: LeaseHandle },
  ) {
    this.queueName = ctx.queueName;
    this.group = ctx.group;
    this.id = init.id;
    this.name = init.name;
    this.data = init.data;
    this.opts = init.opts;
    this.timestamp = init.timestamp;
    this.token = init.token;
    this.lease = init.lease;
  }

  /**
   * The job just added by a producer (no need to read back what it wrote).
   * @internal Used by Queue; not part of the public API.
   */
  static fromAdded<D, R>(ctx: JobContext, id: string, name: string, data: D, opts: JobsOptions, timestamp: number): Job<D, R> {
    return new Job<D, R>(ctx, { id, name, data, opts, timestamp });
  }

  /**
   * Builds a job from its hash in Redis (HGETALL).
   * @internal Used by Queue and the readers; not part of the public API.
   */
  static fromHash<D, R>(ctx: JobContext, id: string, hash: Record<string, string>): Job<D, R> {
    const opts = fromJson(hash[JobField.opts]);
    const job = new Job<D, R>(ctx, {
      id,
      name: hash[JobField.name] ?? '',
      data: fromJson(recordData(hash)) as D,
      opts: withPlacement(opts, hash),
      timestamp: Number(hash[JobField.timestamp] ?? 0),
    });
    job.attemptsMade = Number(hash[JobField.attemptsMade] ?? 0);
    job.deliveries = Number(hash[JobField.deliveries] ?? 0);
    job.stalls = Number(hash[JobField.stalls] ?? 0);
    job.progress = fromJson(hash[JobField.progress]) ?? 0;
    job.returnvalue = fromJson(hash[JobField.returnvalue]) as R | undefined;
    job.failedReason = hash[JobField.failedReason] || undefined;
    const stack = fromJson(hash[JobField.stacktrace]);
    job.stacktrace = Array.isArray(stack) ? stack.map(String) : [];
    job.processedOn = hash[JobField.processedOn] ? Number(hash[JobField.processedOn]) : undefined;
    job.finishedOn = hash[JobField.finishedOn] ? Number(hash[JobField.finishedOn]) : undefined;
    return job;
  }

  /**
   * Builds a job from a lease reply. Data or options that sluice did not write come back as
   * a string reason, which the worker dead-letters with a MalformedJobError.
   * @internal Used by Worker; not part of the public API.
   */
  static fromLease<D, R>(ctx: JobContext, raw: LeasedJobRaw, now: number, lease: LeaseHandle): Job<D, R> | string {
    let data: unknown;
    let opts: unknown;
    try {
      data = JSON.parse(raw.data);
    } catch {
      return `malformed job record: data is not valid JSON (${raw.data.slice(0, 60)})`;
    }
    opts = parsedOpts.get(raw.opts);
    if (opts === undefined) {
      try {
        opts = Object.freeze(JSON.parse(raw.opts));
      } catch {
        return 'malformed job record: options are not valid JSON';
      }
      // most jobs of a queue share their options text: parse it once
      if (parsedOpts.size >= 256) parsedOpts.clear();
      parsedOpts.set(raw.opts, opts);
    }
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) return 'malformed job record: options are not an object';
    const job = new Job<D, R>(ctx, {
      id: raw.id,
      name: raw.name,
      data: data as D,
      opts: opts as JobsOptions,
      timestamp: raw.timestamp,
      token: raw.token,
      lease,
    });
    job.attemptsMade = raw.attemptsMade;
    job.deliveries = raw.deliveries;
    job.stalls = raw.stalls;
    job.processedOn = now;
    return job;
  }

  /**
   * Reads the job's state in its group now (this object's fields are not refreshed).
   * @returns the state, or `'unknown'` when the job no longer exists in the group (removed,
   * or dropped by its retention).
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async getState(): Promise<JobState | 'unknown'> {
    const keys = this.ctx.scripts.keys;
    const state = await this.ctx.client.hget(keys.group(this.ctx.group).job(this.id), JobField.state);
    if (state) return state as JobState;
    // not yet met by this group: a delayed job, or one still published only
    if (this.ctx.group !== 'default') {
      const published = await publishedNotYetMet(this.ctx.client, keys, this.ctx.group, this.id);
      if (published) return published.s as JobState;
    }
    // a plain job that no worker has leased yet (or leased without a record) lives in its stream entry only
    const entry = await findWaitingEntry(this.ctx.client, this.ctx.scripts.keys, this.ctx.group, this.id);
    return entry ? (entry[JobField.state] as JobState) : 'unknown';
  }

  private requireToken(what: string): string {
    if (!this.token) throw new LeaseLostError(this.id, `only the worker processing job "${this.id}" can ${what}`);
    return this.token;
  }

  /**
   * Stores the job's progress, for `Queue.getJob` readers and `QueueEvents` listeners ('progress'
   * event), and sets {@link Job.progress}. Only from the processor running the job.
   * @param progress - a number (such as a percentage) or a JSON-serialisable object.
   * @throws {InvalidOptionError} `progress` is neither a number nor an object.
   * @throws {InvalidPayloadError} the object cannot be stored as JSON.
   * @throws {PayloadTooLargeError} its JSON is over the worker's `maxPayloadBytes`.
   * @throws {LeaseLostError} this Job was not handed to a processor, or the worker no longer
   * holds its lease (the job may be running elsewhere).
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async updateProgress(progress: number | object): Promise<void> {
    const token = this.requireToken('update its progress');
    if (typeof progress !== 'number' && (typeof progress !== 'object' || progress === null)) {
      throw new InvalidOptionError('progress must be a number or an object');
    }
    const json = toJson(progress, 'progress', this.ctx.maxPayloadBytes);
    if (!(await this.ctx.scripts.progress(this.ctx.group, this.id, token, json))) throw new LeaseLostError(this.id);
    this.progress = progress;
  }

  /**
   * Appends a line to the job's log, read back with {@link Job.getLogs}. The newest 1,000 lines
   * are kept; a line over 4 KiB is cut, with a marker. Only from the processor running the job.
   * @returns how many lines the log holds now.
   * @throws {LeaseLostError} this Job was not handed to a processor, or the worker no longer
   * holds its lease.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async log(line: string): Promise<number> {
    const token = this.requireToken('write to its log');
    const kept = await this.ctx.scripts.log(this.ctx.group, this.id, token, String(line), MAX_LOG_LINES);
    if (kept === 'notHolder') throw new LeaseLostError(this.id);
    return kept;
  }

  /**
   * Sets this job's lease to end `ms` from now (Redis time), and makes the worker renew it to
   * that length from then on (instead of the worker's `leaseMs`). The worker renews leases by
   * itself: call this only to change the length, for example before a long stretch that keeps
   * the event loop busy. Only from the processor running the job.
   * @param ms - the new lease length in ms, an integer >= 1.
   * @throws {InvalidOptionError} `ms` is not an integer >= 1.
   * @throws {LeaseLostError} this Job was not handed to a processor, or the worker no longer
   * holds its lease.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async extendLease(ms: number): Promise<void> {
    this.requireToken('extend its lease');
    if (!Number.isInteger(ms) || ms < 1) throw new InvalidOptionError(`lease must be an integer number of ms >= 1; got ${ms}`);
    if (!(await this.lease!.extend(ms))) throw new LeaseLostError(this.id);
  }

  /**
   * Moves a delayed job (or one waiting for the backoff before a retry) to run `delayMs` from
   * now (Redis time).
   * @param delayMs - ms from now, an integer >= 0; 0 makes it wait to run at once.
   * @throws {InvalidOptionError} `delayMs` is not an integer >= 0.
   * @throws {JobNotFoundError} the job is not delayed (any more) in this group.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async changeDelay(delayMs: number): Promise<void> {
    if (!Number.isInteger(delayMs) || delayMs < 0)
      throw new InvalidOptionError(`delay must be an integer number of ms >= 0; got ${delayMs}`);
    if (!(await this.ctx.scripts.changeDelay(this.ctx.group, this.id, delayMs))) {
      throw new JobNotFoundError(this.id, `job "${this.id}" is not delayed; only delayed jobs can change their delay`);
    }
  }

  /**
   * Makes a delayed job (or one waiting for the backoff before a retry) wait to run at once:
   * the same as `changeDelay(0)`.
   * @throws {JobNotFoundError} the job is not delayed (any more) in this group.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async promote(): Promise<void> {
    await this.changeDelay(0);
  }

  /**
   * Runs a finished job again: it goes to the back of its group's line with its attempts,
   * failure, result and start time cleared.
   * @param state - the state the job is in: `'failed'` (the default) or `'completed'`.
   * @throws {JobNotFoundError} the job is not in that state in this group.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async retry(state: 'failed' | 'completed' = 'failed'): Promise<void> {
    if (!(await this.ctx.scripts.retryJob(this.ctx.group, this.id, state))) {
      throw new JobNotFoundError(this.id, `job "${this.id}" is not ${state}; only ${state} jobs can be retried this way`);
    }
  }

  /**
   * Deletes the job from its group (its record and its logs), whatever its state but active. A
   * job no group has received yet (a delayed job, or one no group has read) is removed from the
   * whole queue. Removing a job that no longer exists does nothing.
   * @throws {JobActiveError} a worker is processing the job; wait until it finishes.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async remove(): Promise<void> {
    const result = await this.ctx.scripts.removeJob(this.ctx.group, this.id);
    if (result === 'active') throw new JobActiveError(this.id, 'remove');
    // 'notFound' is not an error here, unlike queue.remove(id), which throws JobNotFoundError
  }

  /**
   * Resolves with the return value once the job completes; rejects with JobFailedError when it
   * fails for good, or WaitTimeoutError after `timeoutMs` (the job is left as it is). The
   * outcome is the one in the group `events` listens to. A return value over 1 KiB does not
   * travel in the event: it is read from the job's record, so when the job was removed on
   * completion (or by retention) before that, this rejects with ResultNotKeptError.
   * @param events - a QueueEvents of this job's queue; it must not be closed.
   * @param timeoutMs - how long to wait, in ms (default 30,000).
   * @returns what the processor returned.
   * @throws {JobFailedError} the job failed for good (or `events` was closed while waiting).
   * @throws {WaitTimeoutError} the job did not finish within `timeoutMs`.
   * @throws {ResultNotKeptError} the job completed, but its large return value was no longer kept.
   * @throws {ClosedError} `events` is closed.
   * @throws {RedisUnavailableError} Redis cannot be reached.
   *
   * @example Wait for a job added by this producer
   * ```ts
   * const events = new QueueEvents('reports', { connection });
   * const job = await queue.add('render', { reportId: 42 });
   * const url = await job.waitUntilFinished(events, 60_000);
   * ```
   */
  async waitUntilFinished(events: QueueEvents, timeoutMs = 30_000): Promise<Result> {
    const record = this.ctx.scripts.keys.group(events.group).job(this.id);
    return events.waitForJob<Result>(this.id, timeoutMs, async () => {
      const [state, rv, fr] = await this.ctx.client.hmget(record, JobField.state, JobField.returnvalue, JobField.failedReason);
      if (state === 'completed') return { ok: true, value: fromJson(rv) };
      if (state === 'failed') return { ok: false, reason: fr ?? '' };
      return undefined;
    });
  }

  /**
   * Reads the job's log, as written with {@link Job.log}.
   * @returns the lines, oldest first (at most the newest 1,000).
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  async getLogs(): Promise<string[]> {
    return this.ctx.client.lrange(this.ctx.scripts.keys.group(this.ctx.group).logs(this.id), 0, -1);
  }

  /** A plain object of the job's main fields, for `JSON.stringify` and logs. */
  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      name: this.name,
      data: this.data,
      opts: this.opts,
      timestamp: this.timestamp,
      attemptsMade: this.attemptsMade,
      deliveries: this.deliveries,
      progress: this.progress,
      returnvalue: this.returnvalue,
      failedReason: this.failedReason,
      processedOn: this.processedOn,
      finishedOn: this.finishedOn,
    };
  }
}
