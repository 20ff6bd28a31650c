// A worker consumes one group of a queue with a bounded concurrency. Its main loop is a small
// state machine — fetch (lease, folding pending acks into the same call) → run → settle — with
// lease renewal (LeaseKeeper), idle blocking (WakeWaiter) and shutdown as separate pieces.
// States: starting → running → closing → closed; every change goes through setState().
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { backoffDelay, type BackoffStrategy } from './backoff.js';
import { checkEvictionPolicy, closeClient, createClient, type ConnectionInput, type EvictionPolicyMode } from './connection.js';
import { InvalidOptionError, JobTimeoutError, LeaseLostError, ShutdownError, UnrecoverableError } from './errors.js';
import { Job, type JobContext } from './job.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { LeaseKeeper } from './lease-keeper.js';
import { defaultLogger, type Logger } from './logger.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  DEFAULT_REMOVE_ON_COMPLETE,
  DEFAULT_REMOVE_ON_FAIL,
  keepPolicy,
  positiveInt,
  validateGroupName,
  validateQueueName,
} from './options.js';
import { toJson } from './payload.js';
import { Scripts, type Ack, type LeaseReply, type LeasedJobRaw } from './scripts.js';
import { TypedEmitter } from './typed-emitter.js';
import { WakeWaiter } from './wake-waiter.js';

export interface ProcessorContext {
  /** Aborts when the lease is lost, the job times out, or close() passes its deadline. */
  signal: AbortSignal;
  /** The lease token of this delivery, to fence your own side effects. */
  token: string;
}

export type Processor<Data, Result> = (job: Job<Data, Result>, ctx: ProcessorContext) => Promise<Result> | Result;

export interface WorkerOptions {
  connection: ConnectionInput;
  prefix?: string;
  /** Consumer group (default "default"). */
  group?: string;
  /** Jobs run at once by this worker (default 1). */
  concurrency?: number;
  /** Lease length in ms (default 30,000); renewed every third of it while the job runs. */
  leaseMs?: number;
  /** A job whose lease expires more than this many times is failed (default 3). */
  maxStalls?: number;
  /** How long an idle worker blocks in Redis before re-checking (default 5,000 ms). */
  blockMs?: number;
  /** Extra time a blocking read may take before the connection is reset (default 5,000 ms). */
  watchdogGraceMs?: number;
  /** Custom backoff strategies, by the name used in a job's backoff.type. */
  backoffStrategies?: Record<string, BackoffStrategy>;
  /** Start consuming at construction (default true); else call run(). */
  autorun?: boolean;
  maxPayloadBytes?: number;
  evictionPolicy?: EvictionPolicyMode;
  logger?: Logger;
}

export type WorkerState = 'starting' | 'running' | 'closing' | 'closed';

export interface WorkerEvents<Data, Result> {
  active: (job: Job<Data, Result>) => void;
  completed: (job: Job<Data, Result>, result: Result) => void;
  /** Each failed attempt; `job.attemptsMade` and `willRetry` tell whether it comes back. */
  failed: (job: Job<Data, Result> | undefined, error: Error, willRetry: boolean) => void;
  /** A job whose lease expired (its worker crashed or froze) was put back or dead-lettered. */
  stalled: (jobId: string) => void;
  /** This worker lost a job's lease; its result was discarded. */
  lost: (jobId: string, error: LeaseLostError) => void;
  error: (error: Error) => void;
  closed: () => void;
}

export interface WorkerHealth {
  state: WorkerState;
  /** True while running with both connections ready and Redis answering in time. */
  healthy: boolean;
  connection: string;
  blockingConnection: string;
  /** ms since Redis last answered the worker's fetch or blocking read. */
  lastFetchAgeMs: number;
  activeJobs: number;
  processed: number;
  failed: number;
}

interface Running<Data, Result> {
  job: Job<Data, Result>;
  controller: AbortController;
  settled: boolean;
}

interface PendingAck<Data, Result> extends Ack {
  job: Job<Data, Result>;
  result: Result;
}

const MAX_ACKS_PER_CALL = 1000;

export class Worker<Data = unknown, Result = unknown> extends TypedEmitter<WorkerEvents<Data, Result>> {
  readonly name: string;
  readonly group: string;
  readonly id: string;
  readonly concurrency: number;
  private state: WorkerState = 'starting';
  private readonly keys: QueueKeys;
  private readonly client: Redis;
  private readonly blocking: Redis;
  private readonly scripts: Scripts;
  private readonly keeper: LeaseKeeper;
  private readonly waiter: WakeWaiter;
  private readonly ctx: JobContext;
  private readonly config: string;
  private readonly leaseMs: number;
  private readonly blockMs: number;
  private readonly watchdogGraceMs: number;
  private readonly strategies: Record<string, BackoffStrategy>;
  private readonly evictionMode: EvictionPolicyMode;
  private readonly running = new Map<string, Running<Data, Result>>();
  private acks: PendingAck<Data, Result>[] = [];
  private phase: 'idle' | 'calling' | 'waiting-slot' | 'blocking' = 'idle';
  private slotWaiter: (() => void) | undefined;
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private lastFetchAt = Date.now();
  private callStartedAt = 0;
  private processed = 0;
  private failures = 0;
  private settling = 0;
  private settledWaiter: (() => void) | undefined;

  constructor(
    name: string,
    private readonly processor: Processor<Data, Result>,
    opts: WorkerOptions,
  ) {
    const logger = opts?.logger ?? defaultLogger();
    const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const group = validateGroupName(opts?.group ?? 'default');
    super(logger.child({ queue: name, group, worker: id }));
    this.name = validateQueueName(name);
    if (typeof processor !== 'function') throw new InvalidOptionError('Worker needs a processor function (job, { signal }) => result');
    if (!opts || typeof opts !== 'object') throw new InvalidOptionError('Worker options with a connection are required');
    this.id = id;
    this.group = group;
    this.concurrency = positiveInt('concurrency', opts.concurrency, 1);
    this.leaseMs = positiveInt('leaseMs', opts.leaseMs, 30_000, 50);
    this.blockMs = positiveInt('blockMs', opts.blockMs, 5_000);
    this.watchdogGraceMs = positiveInt('watchdogGraceMs', opts.watchdogGraceMs, 5_000);
    const maxStalls = positiveInt('maxStalls', opts.maxStalls, 3, 0);
    const maxPayloadBytes = positiveInt('maxPayloadBytes', opts.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES);
    this.strategies = { ...opts.backoffStrategies };
    this.evictionMode = opts.evictionPolicy ?? 'warn';
    this.config = JSON.stringify({ leaseMs: this.leaseMs, maxStalls, keepFailed: keepPolicy(undefined, DEFAULT_REMOVE_ON_FAIL) });
    this.keys = queueKeys(opts.prefix ?? 'sluice', this.name);
    this.client = createClient(opts.connection, 'worker', `sluice:worker:${id}`).client;
    this.blocking = createClient(opts.connection, 'blocking', `sluice:blocking:${id}`).client;
    this.client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    this.blocking.on('error', (err) => this.logger.debug({ err }, 'redis blocking connection error'));
    this.scripts = new Scripts(this.client, this.keys);
    this.ctx = { client: this.client, scripts: this.scripts, queueName: this.name, group: this.group, maxPayloadBytes };
    this.keeper = new LeaseKeeper(this.scripts, this.group, this.leaseMs, (jobId) => this.onLeaseLost(jobId), this.logger);
    this.waiter = new WakeWaiter(this.blocking, this.client, this.watchdogGraceMs, this.logger);
    if (opts.autorun !== false) this.run();
  }

  private isActive(): boolean {
    return this.state === 'running';
  }

  private setState(next: WorkerState): void {
    this.logger.debug({ from: this.state, to: next }, 'worker state');
    this.state = next;
  }

  /** Starts consuming (called by the constructor unless autorun is false). */
  run(): void {
    if (this.state !== 'starting' || this.loopDone) return;
    this.loopDone = this.loop().catch((err: unknown) => {
      this.emit('error', err as Error);
    });
  }

  isRunning(): boolean {
    return this.health().healthy;
  }

  health(): WorkerHealth {
    const lastAnswer = Math.max(this.lastFetchAt, this.waiter.lastAnswerAt);
    const age = Date.now() - lastAnswer;
    const limit = this.callTimeoutMs();
    // healthy means Redis answers: a fetch or blocking read overdue past the watchdog is not
    const stuck =
      (this.phase === 'calling' && Date.now() - this.callStartedAt > limit) ||
      (this.phase === 'blocking' && age > limit);
    return {
      state: this.state,
      healthy: this.state === 'running' && this.client.status === 'ready' && this.blocking.status === 'ready' && !stuck,
      connection: this.client.status,
      blockingConnection: this.blocking.status,
      lastFetchAgeMs: age,
      activeJobs: this.running.size,
      processed: this.processed,
      failed: this.failures,
    };
  }

  // ---- the loop: fetch → run → settle -------------------------------------------------

  private async loop(): Promise<void> {
    try {
      await checkEvictionPolicy(this.client, this.evictionMode, this.logger);
    } catch (err) {
      this.emit('error', err as Error);
      void this.close({ timeoutMs: 0 }); // not awaited: close() waits for this loop to end
      return;
    }
    if (this.state !== 'starting') return;
    this.setState('running');
    this.keeper.start();
    let failuresInARow = 0;
    while (this.isActive()) {
      const free = this.concurrency - this.running.size;
      if (free <= 0 && this.acks.length === 0) {
        await this.waitForSlot();
        continue;
      }
      const acks = this.acks.splice(0, MAX_ACKS_PER_CALL);
      let reply: LeaseReply | 'timeout';
      this.phase = 'calling';
      this.callStartedAt = Date.now();
      const call = this.fetch(acks, Math.max(0, free));
      try {
        reply = await this.guard(call);
        failuresInARow = 0;
      } catch (err) {
        this.phase = 'idle';
        this.acks.unshift(...acks);
        this.emit('error', err as Error);
        await this.pause(Math.min(5000, 100 * 2 ** failuresInARow++));
        continue;
      }
      if (reply === 'timeout') {
        // a silent connection (half-open socket): reset it; the abandoned call keeps its acks
        // and hands back whatever it leases if it ever completes
        this.phase = 'idle';
        this.logger.warn({ timeoutMs: this.callTimeoutMs() }, 'Redis did not answer a fetch in time; resetting the connection');
        this.client.disconnect(true);
        call.then(
          (late) => this.handBack(late.jobs.map((j) => [j.id, j.token]), false),
          () => this.acks.unshift(...acks),
        );
        continue;
      }
      this.phase = 'idle';
      this.lastFetchAt = Date.now();
      this.report(reply);
      if (!this.isActive()) {
        // leased while closing: hand back at once, unstarted
        await this.handBack(reply.jobs.map((j) => [j.id, j.token]), false);
        break;
      }
      for (const raw of reply.jobs) void this.start(raw, reply.now);
      // fewer jobs than asked for: the queue is empty for now, so block until something arrives
      if (reply.streamLastId !== '' && this.acks.length === 0 && reply.waitMs !== 0) {
        this.phase = 'blocking';
        const streams: [string, string][] = reply.paused
          ? [[this.keys.wake, reply.wakeLastId]]
          : [[this.keys.stream, reply.streamLastId], [this.keys.wake, reply.wakeLastId]];
        const due = reply.waitMs >= 0 && reply.waitMs < this.blockMs;
        const result = await this.waiter.wait(streams, due ? reply.waitMs : this.blockMs, due);
        this.phase = 'idle';
        if (result === 'error' && this.isActive()) await this.pause(100);
      }
    }
  }

  private callTimeoutMs(): number {
    return this.blockMs + this.watchdogGraceMs;
  }

  /** Resolves 'timeout' when Redis does not answer within the watchdog period. */
  private guard<T>(call: Promise<T>): Promise<T | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const dog = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.callTimeoutMs());
    });
    return Promise.race([call, dog]).finally(() => clearTimeout(timer));
  }

  private async fetch(acks: PendingAck<Data, Result>[], count: number): Promise<LeaseReply> {
    const nonce = randomBytes(6).toString('base64url');
    if (acks.length === 0) return this.scripts.lease(this.group, this.id, nonce, count, this.config);
    const { refused, lease } = await this.scripts.complete(this.group, this.id, nonce, count, this.config, acks);
    this.confirmAcks(acks, refused);
    return lease;
  }

  private confirmAcks(acks: PendingAck<Data, Result>[], refused: string[]): void {
    const lost = new Set(refused);
    for (const ack of acks) {
      if (lost.has(ack.id)) this.emit('lost', ack.id, new LeaseLostError(ack.id));
      else {
        this.processed++;
        ack.job.finishedOn = Date.now();
        ack.job.returnvalue = ack.result;
        this.emit('completed', ack.job, ack.result);
      }
    }
  }

  private report(reply: LeaseReply): void {
    for (const id of reply.stalled) this.emit('stalled', id);
    for (const dead of reply.dead) {
      this.failures++;
      this.emit('failed', undefined, new Error(`job ${dead.id}: ${dead.reason}`), false);
    }
  }

  private waitForSlot(): Promise<void> {
    this.phase = 'waiting-slot';
    return new Promise((resolve) => {
      this.slotWaiter = () => {
        this.slotWaiter = undefined;
        this.phase = 'idle';
        resolve();
      };
    });
  }

  private wakeLoop(): void {
    this.slotWaiter?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.slotWaiter = () => {
        clearTimeout(timer);
        this.slotWaiter = undefined;
        resolve();
      };
    });
  }

  // ---- running one job -------------------------------------------------------------------

  private async start(raw: LeasedJobRaw, now: number): Promise<void> {
    const job = Job.fromLease<Data, Result>(this.ctx, raw, now, { extend: (ms) => this.keeper.extend(raw.id, raw.token, ms) });
    if (typeof job === 'string') {
      // a record sluice did not write: dead-letter it with the reason, keep working
      await this.settleFailure(raw.id, raw.token, undefined, new UnrecoverableError(job), { attempts: 1, backoff: undefined, removeOnFail: undefined });
      return;
    }
    const controller = new AbortController();
    const entry: Running<Data, Result> = { job, controller, settled: false };
    this.running.set(job.id, entry);
    this.keeper.track(job.id, raw.token);
    let timer: NodeJS.Timeout | undefined;
    const timeout = job.opts.timeout;
    if (timeout) {
      timer = setTimeout(() => {
        const err = new JobTimeoutError(job.id, timeout);
        controller.abort(err);
        void this.fail(entry, err);
      }, timeout);
    }
    this.emit('active', job);
    try {
      const result = await this.processor(job, { signal: controller.signal, token: raw.token });
      if (!entry.settled) this.succeed(entry, result);
    } catch (err) {
      if (!entry.settled) await this.fail(entry, err instanceof Error ? err : new Error(String(err)));
    } finally {
      clearTimeout(timer);
      // a later delivery of the same job (after a timeout or a lost lease) may own the id now
      if (this.running.get(job.id) === entry) this.running.delete(job.id);
      this.keeper.untrack(job.id, raw.token);
      this.wakeLoop();
    }
  }

  private succeed(entry: Running<Data, Result>, result: Result): void {
    entry.settled = true;
    const { job } = entry;
    let returnvalue: string;
    try {
      returnvalue = toJson(result, 'job result', this.ctx.maxPayloadBytes);
    } catch (err) {
      entry.settled = false;
      void this.fail(entry, new UnrecoverableError(`result could not be stored: ${(err as Error).message}`));
      return;
    }
    this.acks.push({
      id: job.id,
      token: job.token!,
      returnvalue,
      keep: keepPolicy(job.opts.removeOnComplete, DEFAULT_REMOVE_ON_COMPLETE),
      job,
      result,
    });
    // the loop folds acks into its next fetch; while it blocks in Redis, flush them here
    if (this.phase === 'blocking' || this.state !== 'running') void this.flushAcks();
    else this.wakeLoop();
  }

  private async fail(entry: Running<Data, Result>, error: Error): Promise<void> {
    if (entry.settled) return;
    entry.settled = true;
    const { job } = entry;
    await this.settleFailure(job.id, job.token!, job, error, job.opts);
  }

  private async settleFailure(
    id: string,
    token: string,
    job: Job<Data, Result> | undefined,
    error: Error,
    opts: { attempts?: number; backoff?: Job['opts']['backoff']; removeOnFail?: Job['opts']['removeOnFail'] },
  ): Promise<void> {
    this.settling++;
    try {
      const attemptsMade = (job?.attemptsMade ?? 0) + 1;
      const final = error instanceof UnrecoverableError || attemptsMade >= (opts.attempts ?? 1);
      let delayMs = 0;
      if (!final) {
        try {
          delayMs = backoffDelay(opts.backoff, attemptsMade, error, job?.data, this.strategies);
        } catch (err) {
          this.emit('error', err as Error);
        }
      }
      const stack = (error.stack ?? '').split('\n').slice(0, 20);
      const accepted = await this.scripts.fail(this.group, id, token, {
        retry: !final,
        delayMs,
        reason: error.message || String(error),
        stack: JSON.stringify(stack),
        keep: keepPolicy(opts.removeOnFail, DEFAULT_REMOVE_ON_FAIL),
      });
      if (!accepted) {
        this.emit('lost', id, new LeaseLostError(id));
        return;
      }
      if (job) {
        job.attemptsMade = attemptsMade;
        job.failedReason = error.message;
        job.stacktrace = stack;
      }
      if (final) this.failures++;
      this.emit('failed', job, error, !final);
    } catch (err) {
      this.emit('error', err as Error);
    } finally {
      this.settling--;
      if (this.settling === 0) this.settledWaiter?.();
    }
  }

  private onLeaseLost(jobId: string): void {
    const entry = this.running.get(jobId);
    if (!entry || entry.settled) return;
    entry.settled = true;
    const err = new LeaseLostError(jobId);
    entry.controller.abort(err);
    this.emit('lost', jobId, err);
  }

  private async flushAcks(): Promise<void> {
    while (this.acks.length > 0) {
      const acks = this.acks.splice(0, MAX_ACKS_PER_CALL);
      try {
        this.settling++;
        const nonce = randomBytes(6).toString('base64url');
        const { refused } = await this.scripts.complete(this.group, this.id, nonce, 0, this.config, acks);
        this.confirmAcks(acks, refused);
      } catch (err) {
        this.acks.unshift(...acks);
        this.emit('error', err as Error);
        return;
      } finally {
        this.settling--;
        if (this.settling === 0) this.settledWaiter?.();
      }
    }
  }

  private async handBack(pairs: [string, string][], started: boolean): Promise<void> {
    if (pairs.length === 0) return;
    try {
      await this.scripts.release(this.group, started, pairs);
    } catch (err) {
      this.emit('error', err as Error);
    }
  }

  // ---- shutdown ---------------------------------------------------------------------------

  /**
   * Graceful shutdown, idempotent: stop fetching, let running jobs finish until `timeoutMs`
   * (default 30 s), then abort the rest through their signal and hand them back without
   * using an attempt. Settles every finished job before closing the connections.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutdown(opts.timeoutMs ?? 30_000);
    return this.closing;
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    const wasBlocking = this.phase === 'blocking';
    this.setState('closing');
    if (wasBlocking) this.waiter.interrupt();
    this.wakeLoop();
    await this.loopDone?.catch(() => undefined);
    await this.waitForRunning(timeoutMs);
    const leftover = [...this.running.values()].filter((r) => !r.settled);
    for (const r of leftover) {
      r.settled = true;
      r.controller.abort(new ShutdownError());
    }
    await this.handBack(leftover.map((r) => [r.job.id, r.job.token!]), true);
    await this.flushAcks();
    if (this.settling > 0) await new Promise<void>((resolve) => (this.settledWaiter = resolve));
    this.keeper.stop();
    this.blocking.disconnect(false);
    await closeClient(this.client, true);
    this.setState('closed');
    this.emit('closed');
  }

  private async waitForRunning(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.slotWaiter = () => {
          clearTimeout(timer);
          this.slotWaiter = undefined;
          resolve();
        };
      });
      await this.flushAcks();
    }
  }
}
