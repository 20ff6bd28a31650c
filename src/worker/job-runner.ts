// Runs the jobs a worker has leased: calls the processor with an abort signal, enforces the
// job's timeout, and settles the outcome — a success becomes an ack (batched by the worker),
// a failure a retry or a dead letter (one script call). It tracks what is running, so that a
// lost lease or a shutdown can abort it. It does not fetch jobs or renew leases.
import { backoffDelay, type BackoffStrategy } from '../job/backoff.js';
import {
  DelayedError,
  JobCancelledError,
  JobTimeoutError,
  LeaseLostError,
  MalformedJobError,
  RateLimitError,
  UnrecoverableError,
} from '../errors.js';
import { Job } from '../job/job.js';
import type { JobContext } from '../job/job-context.js';
import type { LeaseKeeper } from './lease-keeper.js';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL, keepPolicy, type JobsOptions } from '../job/job-options.js';
import { Delivery } from './delivery.js';
import { toJson } from '../job/payload.js';
import type { Ack, LeasedJobRaw, Scripts } from '../redis/scripts.js';
import type { Processor } from './worker-api.js';
import { startProcess, type ProcessSpan } from '../telemetry/consumer-spans.js';
import { preloadOtel } from '../telemetry/otel-api.js';
import type { ResolvedTelemetry } from '../telemetry/telemetry-options.js';

export interface PendingAck<Data, Result> extends Ack {
  job: Job<Data, Result>;
  result: Result;
}

export interface RunnerEvents<Data, Result> {
  active(job: Job<Data, Result>): void;
  failed(job: Job<Data, Result> | undefined, error: Error, willRetry: boolean): void;
  lost(jobId: string, error: LeaseLostError): void;
  error(error: Error): void;
}

export interface JobRunnerOptions<Data, Result> {
  processor: Processor<Data, Result>;
  /** What a Job built from a lease needs (connection, scripts, queue, group, payload limit). */
  ctx: JobContext;
  scripts: Scripts;
  group: string;
  /** Renews the running jobs' leases; a job's extendLease goes through it. */
  keeper: LeaseKeeper;
  /** The worker's custom backoff strategies, by name. */
  backoffStrategies: Record<string, BackoffStrategy>;
  /** OpenTelemetry tracing of each delivery (default: on when the API is installed). */
  telemetry?: ResolvedTelemetry;
  events: RunnerEvents<Data, Result>;
  /** A job succeeded: its ack, for the worker to send (batched). */
  onAck(ack: PendingAck<Data, Result>): void;
  /** A job ended, settled or not: its slot is free. */
  onSlotFree(): void;
}

export class JobRunner<Data, Result> {
  private readonly running = new Map<string, Delivery<Data, Result>>();
  private settling = 0;
  private settledWaiters: (() => void)[] = [];
  /** Running average of how long a job takes (ms), to size the worker's prefetch. */
  avgJobMs: number | undefined;
  failures = 0;
  private readonly processor: Processor<Data, Result>;
  private readonly ctx: JobContext;
  private readonly scripts: Scripts;
  private readonly group: string;
  private readonly keeper: LeaseKeeper;
  private readonly strategies: Record<string, BackoffStrategy>;
  private readonly events: RunnerEvents<Data, Result>;
  private readonly onAck: (ack: PendingAck<Data, Result>) => void;
  private readonly onSlotFree: () => void;
  private readonly telemetry: ResolvedTelemetry;

  constructor(options: JobRunnerOptions<Data, Result>) {
    this.processor = options.processor;
    this.ctx = options.ctx;
    this.scripts = options.scripts;
    this.group = options.group;
    this.keeper = options.keeper;
    this.strategies = options.backoffStrategies;
    this.events = options.events;
    this.onAck = options.onAck;
    this.onSlotFree = options.onSlotFree;
    this.telemetry = options.telemetry ?? false;
    preloadOtel(this.telemetry);
  }

  get size(): number {
    return this.running.size;
  }

  async run(raw: LeasedJobRaw, now: number): Promise<void> {
    const entry = new Delivery<Data, Result>(this.keeper, raw.id, raw.token);
    const job = Job.fromLease<Data, Result>(this.ctx, raw, now, entry);
    if (typeof job === 'string') {
      // a record sluice did not write: dead-letter it with the reason, keep working
      this.keeper.untrack(raw.id, raw.token);
      await this.settleFailure(raw.id, raw.token, undefined, new MalformedJobError(job), {});
      return;
    }
    entry.job = job;
    const span = this.telemetry ? startProcess(this.telemetry, this.ctx.queueName, this.group, job) : undefined;
    entry.span = span;
    this.running.set(job.id, entry);
    const timer = job.opts.timeout ? this.startTimeout(entry, job.opts.timeout) : undefined;
    this.events.active(job);
    const started = performance.now();
    try {
      const result = await (span ? span.run(() => this.processor(job, entry)) : this.processor(job, entry));
      if (!entry.settled) this.succeed(entry, result);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      // (an entry settled already timed out, or lost its lease)
      if (!entry.settled && error instanceof DelayedError) {
        entry.settled = true;
        entry.span?.other('deferred');
        await this.defer(job, error.delayMs ?? Math.max(0, Math.round((entry.deferredUntil ?? 0) - Date.now())));
      } else if (!entry.settled) await this.fail(entry, error);
    } finally {
      if (timer) clearTimeout(timer);
      const ms = performance.now() - started;
      this.avgJobMs = this.avgJobMs === undefined ? ms : this.avgJobMs * 0.9 + ms * 0.1;
      // a later delivery of the same job (after a timeout or a lost lease) may own the id now
      if (this.running.get(job.id) === entry) this.running.delete(job.id);
      this.keeper.untrack(job.id, raw.token);
      span?.end();
      this.onSlotFree();
    }
  }

  /** The job's `timeout`: aborts the processor and fails the attempt. */
  private startTimeout(entry: Delivery<Data, Result>, timeoutMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const err = new JobTimeoutError(entry.id, timeoutMs);
      entry.abort(err);
      void this.fail(entry, err);
    }, timeoutMs);
    timer.unref();
    return timer;
  }

  private succeed(entry: Delivery<Data, Result>, result: Result): void {
    const { job } = entry;
    let returnvalue: string;
    try {
      returnvalue = toJson(result, 'job result', this.ctx.maxPayloadBytes);
    } catch (err) {
      void this.fail(entry, new UnrecoverableError(`result could not be stored: ${(err as Error).message}`));
      return;
    }
    entry.settled = true;
    entry.span?.completed();
    this.onAck({
      id: job.id,
      token: job.token!,
      returnvalue,
      keep: keepPolicy(job.opts.removeOnComplete, DEFAULT_REMOVE_ON_COMPLETE),
      job,
      result,
    });
  }

  private async fail(entry: Delivery<Data, Result>, error: Error): Promise<void> {
    if (entry.settled) return;
    entry.settled = true;
    if (error instanceof RateLimitError) return this.rateLimited(entry.job, error);
    await this.settleFailure(entry.job.id, entry.job.token!, entry.job, error, entry.job.opts, entry.span);
  }

  private settleFailure(
    id: string,
    token: string,
    job: Job<Data, Result> | undefined,
    error: Error,
    opts: JobsOptions,
    span?: ProcessSpan,
  ): Promise<void> {
    return this.settleWithRedis(async () => {
      const attemptsMade = (job?.attemptsMade ?? 0) + 1;
      const final =
        error instanceof UnrecoverableError ||
        error instanceof MalformedJobError ||
        error instanceof JobCancelledError ||
        attemptsMade >= (opts.attempts ?? 1);
      let delayMs = 0;
      if (!final) {
        try {
          delayMs = backoffDelay(opts.backoff, attemptsMade, error, job?.data, this.strategies);
        } catch (err) {
          this.events.error(err as Error);
        }
      }
      const stack = (error.stack ?? '').split('\n').slice(0, 20);
      const accepted = await this.scripts.fail(this.group, id, token, {
        retry: !final,
        delayMs,
        reason: error.message || String(error),
        stack: JSON.stringify(stack),
        keep: keepPolicy(opts.removeOnFail, DEFAULT_REMOVE_ON_FAIL),
        ...(opts.releaseKeyOnRetry && !final ? { releaseKey: true } : {}),
      });
      if (!accepted) {
        this.events.lost(id, new LeaseLostError(id));
        return;
      }
      if (job) {
        job.attemptsMade = attemptsMade;
        job.failedReason = error.message;
        job.stacktrace = stack;
      }
      if (final) this.failures++;
      span?.failed(error, final, delayMs);
      this.events.failed(job, error, !final);
    });
  }

  /** The processor threw DelayedError: the job runs again after `delayMs`, without using an attempt. */
  private defer(job: Job<Data, Result>, delayMs: number): Promise<void> {
    return this.settleWithRedis(async () => {
      const outcome = { retry: true, defer: true, delayMs, reason: '', stack: '[]', keep: [0, 0] as [number, number] };
      if (!(await this.scripts.fail(this.group, job.id, job.token!, outcome))) this.events.lost(job.id, new LeaseLostError(job.id));
    });
  }

  /** The processor threw RateLimitError: the group pauses its starts, the job goes back unpenalised. */
  private rateLimited(job: Job<Data, Result>, error: RateLimitError): Promise<void> {
    return this.settleWithRedis(async () => {
      if (!(await this.scripts.rateLimit(this.group, error.ms, [job.id, job.token!]))) this.events.lost(job.id, new LeaseLostError(job.id));
    });
  }

  /** Runs a settlement with Redis, counted so that close() can wait for it; errors are reported. */
  private async settleWithRedis(settle: () => Promise<void>): Promise<void> {
    this.settling++;
    try {
      await settle();
    } catch (err) {
      this.events.error(err as Error);
    } finally {
      this.settling--;
      if (this.settling === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
    }
  }

  /** The keeper found this job's lease lost: abort its processor; its result will be discarded. */
  leaseLost(jobId: string): boolean {
    const entry = this.running.get(jobId);
    if (!entry || entry.settled) return false;
    entry.settled = true;
    const err = new LeaseLostError(jobId);
    entry.span?.other('lease-lost');
    entry.abort(err);
    this.events.lost(jobId, err);
    return true;
  }

  /**
   * Cancels a running job: its signal is aborted with JobCancelledError and the attempt fails for
   * good with `reason` at once (the processor's later result is discarded). False when it does not run here.
   */
  cancel(jobId: string, reason: string): boolean {
    const entry = this.running.get(jobId);
    if (!entry || entry.settled) return false;
    const err = new JobCancelledError(jobId, reason);
    entry.abort(err);
    void this.fail(entry, err);
    return true;
  }

  /** The ids of the jobs running here and not settled yet. */
  runningIds(): string[] {
    return [...this.running.values()].filter((e) => !e.settled).map((e) => e.job.id);
  }

  /** Aborts every unsettled job with `reason`; returns their [id, token] to hand back. */
  abortAll(reason: Error): [string, string][] {
    const pairs: [string, string][] = [];
    for (const entry of this.running.values()) {
      if (entry.settled) continue;
      entry.settled = true;
      entry.span?.other('handed-back');
      entry.abort(reason);
      pairs.push([entry.job.id, entry.job.token!]);
    }
    return pairs;
  }

  /** Resolves when no failure is being settled with Redis. */
  whenSettled(): Promise<void> {
    if (this.settling === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }
}
