// A job as the API shows it: its data and record, read from Redis or handed to a processor.
// Methods that change the job go through the scripts; those that belong to the processor
// (progress, log, lease) prove the lease with the delivery's token.
import { guardRedisErrors } from './redis-errors.js';
import type { Redis } from 'ioredis';
import { InvalidOptionError, JobActiveError, JobNotFoundError, LeaseLostError } from './errors.js';
import { JobField } from './keys.js';
import type { JobsOptions } from './options.js';
import { fromJson, toJson } from './payload.js';
import type { LeasedJobRaw, Scripts } from './scripts.js';
import { findWaitingEntry, publishedNotYetMet } from './stream-entries.js';
import type { QueueEvents } from './queue-events.js';
import { addJobAliases, type BullmqJobAliases } from './bullmq-aliases.js';

export type JobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

/** What a job needs to reach its queue. */
export interface JobContext {
  client: Redis;
  scripts: Scripts;
  queueName: string;
  group: string;
  maxPayloadBytes: number;
}

/** Given by the worker to the jobs it runs: extends their lease in its lease keeper. */
export interface LeaseHandle {
  extend(ms: number): Promise<boolean>;
}

const MAX_LOG_LINES = 1000;
/** Parsed (frozen) job options by their JSON text. */
const parsedOpts = new Map<string, unknown>();

/** BullMQ's names for some methods (extendLock): bullmq-aliases.ts. */
export interface Job<Data = unknown, Result = unknown> extends BullmqJobAliases {}

export class Job<Data = unknown, Result = unknown> {
  static {
    // Redis failures of every Job method become typed SluiceErrors (see redis-errors.ts)
    guardRedisErrors(Job, (job) => job.ctx.client);
    addJobAliases(Job);
  }

  readonly queueName: string;
  /** The consumer group whose record of the job this is (each group keeps its own state). */
  readonly group: string;
  readonly id: string;
  readonly name: string;
  readonly data: Data;
  readonly opts: JobsOptions;
  /** When the job was added (ms of Redis time). */
  readonly timestamp: number;
  /** Failed attempts so far. */
  attemptsMade = 0;
  /** Times the job was leased to a worker (including deliveries after a crash). */
  deliveries = 0;
  /** Times its lease expired with the worker silent (crash, freeze). */
  stalls = 0;
  progress: unknown = 0;
  returnvalue: Result | undefined;
  failedReason: string | undefined;
  stacktrace: string[] = [];
  processedOn: number | undefined;
  finishedOn: number | undefined;
  /** The lease token of this delivery: only set on a job handed to a processor. */
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

  /** The job just added by a producer (no need to read back what it wrote). */
  static fromAdded<D, R>(ctx: JobContext, id: string, name: string, data: D, opts: JobsOptions, timestamp: number): Job<D, R> {
    return new Job<D, R>(ctx, { id, name, data, opts, timestamp });
  }

  /** Builds a job from its hash in Redis (HGETALL). */
  static fromHash<D, R>(ctx: JobContext, id: string, hash: Record<string, string>): Job<D, R> {
    const opts = fromJson(hash[JobField.opts]);
    const job = new Job<D, R>(ctx, {
      id,
      name: hash[JobField.name] ?? '',
      data: fromJson(hash[JobField.data]) as D,
      opts: typeof opts === 'object' && opts !== null ? (opts as JobsOptions) : {},
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
    const job = new Job<D, R>(ctx, { id: raw.id, name: raw.name, data: data as D, opts: opts as JobsOptions, timestamp: raw.timestamp, token: raw.token, lease });
    job.attemptsMade = raw.attemptsMade;
    job.deliveries = raw.deliveries;
    job.stalls = raw.stalls;
    job.processedOn = now;
    return job;
  }

  /** The job's state in its group now, or 'unknown' if it no longer exists there. */
  async getState(): Promise<JobState | 'unknown'> {
    const keys = this.ctx.scripts.keys;
    const state = await this.ctx.client.hget(keys.group(this.ctx.group).job(this.id), JobField.state);
    if (state) return state as JobState;
    // not yet met by this group: a delayed job, or one still published only
    if (this.ctx.group !== 'default') {
      const published = await publishedNotYetMet(this.ctx.client, keys, this.ctx.group, this.id);
      if (published) return published.s as JobState;
    }
    // a plain job that no worker has leased yet lives in its stream entry only
    const waiting = await findWaitingEntry(this.ctx.client, this.ctx.scripts.keys, this.ctx.group, this.id);
    return waiting ? 'waiting' : 'unknown';
  }

  private requireToken(what: string): string {
    if (!this.token) throw new LeaseLostError(this.id, `only the worker processing job "${this.id}" can ${what}`);
    return this.token;
  }

  /** Stores progress (a number or a JSON object); refused if this worker lost the lease. */
  async updateProgress(progress: number | object): Promise<void> {
    const token = this.requireToken('update its progress');
    if (typeof progress !== 'number' && (typeof progress !== 'object' || progress === null)) {
      throw new InvalidOptionError('progress must be a number or an object');
    }
    const json = toJson(progress, 'progress', this.ctx.maxPayloadBytes);
    if (!(await this.ctx.scripts.progress(this.ctx.group, this.id, token, json))) throw new LeaseLostError(this.id);
    this.progress = progress;
  }

  /** Appends a line to the job's log (the newest 1,000 lines are kept, each cut to 4 KiB with a marker). */
  async log(line: string): Promise<number> {
    const token = this.requireToken('write to its log');
    const kept = await this.ctx.scripts.log(this.ctx.group, this.id, token, String(line), MAX_LOG_LINES);
    if (kept < 0) throw new LeaseLostError(this.id);
    return kept;
  }

  /** Extends this job's lease to `ms` from now (Redis time); the worker keeps renewing it. */
  async extendLease(ms: number): Promise<void> {
    this.requireToken('extend its lease');
    if (!Number.isInteger(ms) || ms < 1) throw new InvalidOptionError(`lease must be an integer number of ms >= 1; got ${ms}`);
    if (!(await this.lease!.extend(ms))) throw new LeaseLostError(this.id);
  }

  /** Moves a delayed job (or a scheduled retry) to run `delayMs` from now; 0 runs it now. */
  async changeDelay(delayMs: number): Promise<void> {
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new InvalidOptionError(`delay must be an integer number of ms >= 0; got ${delayMs}`);
    if (!(await this.ctx.scripts.changeDelay(this.ctx.group, this.id, delayMs))) {
      throw new JobNotFoundError(this.id, `job "${this.id}" is not delayed; only delayed jobs can change their delay`);
    }
  }

  /** Runs a delayed job (or a scheduled retry) now. */
  async promote(): Promise<void> {
    await this.changeDelay(0);
  }

  /** Redrives a finished job (failed by default): it waits again with its attempts reset. */
  async retry(state: 'failed' | 'completed' = 'failed'): Promise<void> {
    if (!(await this.ctx.scripts.retryJob(this.ctx.group, this.id, state))) {
      throw new JobNotFoundError(this.id, `job "${this.id}" is not ${state}; only ${state} jobs can be retried this way`);
    }
  }

  /** Deletes the job (its record in this group) and its logs. Refused while a worker processes it. */
  async remove(): Promise<void> {
    const result = await this.ctx.scripts.removeJob(this.ctx.group, this.id);
    if (result === -1) throw new JobActiveError(this.id, 'remove');
  }

  /**
   * Resolves with the return value once the job completes; rejects with JobFailedError when it
   * fails for good, or WaitTimeoutError after `timeoutMs` (the job is left as it is). The
   * outcome is the one in the group `events` listens to. A return value over 1 KiB does not
   * travel in the event: it is read from the job's record, so when the job was removed on
   * completion (or by retention) before that, this rejects with ResultNotKeptError.
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

  /** The job's log lines. */
  async getLogs(): Promise<string[]> {
    return this.ctx.client.lrange(this.ctx.scripts.keys.group(this.ctx.group).logs(this.id), 0, -1);
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id, name: this.name, data: this.data, opts: this.opts, timestamp: this.timestamp,
      attemptsMade: this.attemptsMade, deliveries: this.deliveries, progress: this.progress,
      returnvalue: this.returnvalue, failedReason: this.failedReason, processedOn: this.processedOn, finishedOn: this.finishedOn,
    };
  }
}
