// A worker consumes one group of a queue with a bounded concurrency. Its main loop is a small
// state machine — fetch (lease, folding pending acks into the same call) → run → settle — with
// running jobs (JobRunner), lease renewal (LeaseKeeper) and idle blocking (WakeWaiter) as
// separate pieces. States: starting → running → closing → closed, changed only by setState().
// While jobs are short, it leases ahead (prefetch), so that the next batch is on its way from
// Redis while the current one runs.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { checkEvictionPolicy, closeClient, createClient, cutConnection, type EvictionPolicyMode } from '../redis/connection.js';
import { ClosedError, InvalidOptionError, LeaseLostError, ShutdownError } from '../errors.js';
import { JobRunner, type PendingAck } from './job-runner.js';
import { queueKeys, type QueueKeys } from '../redis/keys.js';
import { LeaseKeeper } from './lease-keeper.js';
import { childLogger, defaultLogger } from '../logger.js';
import { validateGroupName, validateQueueName } from '../job/job-options.js';
import { SchedulerFirer } from '../scheduling/due-schedulers.js';
import { Settlement } from './settlement.js';
import { prepareGroup } from '../fanout/groups.js';
import type { GroupLimits } from '../flow-control/rate-limit.js';
import { resolveWorkerOptions } from './worker-options.js';
import { certainlyNotApplied, wrapRedisError } from '../redis/redis-errors.js';
import { Scripts, type LeaseReply, type LeasedJobRaw } from '../redis/scripts.js';
import { TypedEmitter } from '../events/typed-emitter.js';
import { withTimeout } from '../redis/blocking-read.js';
import { WakeWaiter } from './wake-waiter.js';
import { waitWhileIdle } from './idle-wait.js';
import type { Processor, WorkerEvents, WorkerHealth, WorkerOptions, WorkerState } from './worker-api.js';

export type { Processor, ProcessorContext, WorkerEvents, WorkerHealth, WorkerOptions, WorkerState } from './worker-api.js';

interface Call<Data, Result> {
  call: Promise<LeaseReply>;
  acks: PendingAck<Data, Result>[];
  want: number;
  /** How many of `want` start at once; the rest are leased ahead (short first lease). */
  slots: number;
  /** Local time the call was sent: its leases end no earlier than sentAt + aheadMs (or leaseMs). */
  sentAt: number;
  /** The call's nonce: the tokens of what it leases are nonce.k (see releaseCall). */
  nonce: string;
}

/**
 * The XREADGROUP consumer name every worker reads under. Reads are NOACK (no pending-entries
 * list), so a per-worker name would buy nothing and leave a consumer behind per restart.
 */
const CONSUMER = 'sluice';

/** Time Redis gets to settle a closing worker's jobs, beyond close()'s timeout. */
const CLOSE_GRACE_MS = 5_000;
const MAX_LEASE_PER_CALL = 1000;
/** About how many bytes of job data one lease reply may carry (by the average job's size). */
const MAX_LEASE_REPLY_BYTES = 4 * 1024 * 1024;
/** Fetches in flight at once while the queue is busy. */
const PIPELINE_DEPTH = 2;
/** Work kept in hand by prefetching, in ms of average job time. */
const PREFETCH_WINDOW_MS = 20;

/**
 * Runs jobs of one queue's consumer group: leases them from Redis, calls your processor with up
 * to `concurrency` of them at once, renews their leases while they run, and settles each one:
 * completed, retried with backoff, or failed for good. Start as many workers, in as many
 * processes, as you need: they share the group's jobs, and a job whose worker dies is
 * delivered again once its lease runs out (at least once; `job.token` fences a late ack).
 *
 * Idle workers block in Redis and are woken when work is ready; they do not poll.
 *
 * @typeParam Data - the type of the jobs' data.
 * @typeParam Result - the type your processor returns.
 * @example
 * ```ts
 * import { Worker, UnrecoverableError, shutdownOnSignals } from 'sluice';
 *
 * const worker = new Worker<{ to: string }, { messageId: string }>(
 *   'emails',
 *   async (job, { signal }) => {
 *     if (!job.data.to.includes('@')) throw new UnrecoverableError('bad address'); // no retry
 *     return { messageId: await smtp.send(job.data, { signal }) };
 *   },
 *   { connection: 'redis://127.0.0.1:6379', concurrency: 20 },
 * );
 * worker.on('failed', (job, err, willRetry) => log.warn({ id: job?.id, err, willRetry }));
 * shutdownOnSignals([worker]);
 * ```
 */
export class Worker<Data = unknown, Result = unknown> extends TypedEmitter<WorkerEvents<Data, Result>> {
  /** The queue's name. */
  readonly name: string;
  /** The consumer group this worker takes jobs from. */
  readonly group: string;
  /** This worker's id (`host:pid:random`), also in its Redis connection names. */
  readonly id: string;
  /** How many jobs it runs at once. */
  readonly concurrency: number;
  private state: WorkerState = 'starting';
  private readonly keys: QueueKeys;
  private readonly client: Redis;
  private readonly blocking: Redis;
  private readonly scripts: Scripts;
  private readonly keeper: LeaseKeeper;
  private readonly waiter: WakeWaiter;
  private readonly runner: JobRunner<Data, Result>;
  private readonly firer: SchedulerFirer;
  /** The lease script's configuration JSON (worker-options.ts). */
  private readonly leaseConfigJson: string;
  /** The same with `woke: true`, for the first lease after a wake. */
  private readonly wokeLeaseConfigJson: string;
  /** Woken from the marker: the next lease says so (see fetch). */
  private woke = false;
  private readonly maxPrefetch: number;
  private readonly blockMs: number;
  private readonly watchdogGraceMs: number;
  private readonly evictionMode: EvictionPolicyMode;
  /** Leased and not started yet, with the local time the leasing call was sent. */
  private buffer: { raw: LeasedJobRaw; now: number; sentAt: number }[] = [];
  private readonly leaseMs: number;
  /** The short first lease of jobs leased ahead (worker-options.ts aheadLeaseMs). */
  private readonly aheadMs: number;
  /** Moving average of the size of leased jobs (data and options, in characters). */
  private avgJobBytes = 0;
  private readonly settlement: Settlement<Data, Result>;
  private inflight: Call<Data, Result>[] = [];
  /** Jobs asked for by the calls in flight. */
  private requested = 0;
  private phase: 'idle' | 'calling' | 'waiting-slot' | 'blocking' = 'idle';
  private loopWaiter: (() => void) | undefined;
  private wakeScheduled = false;
  /** The last reply found the queue empty (or paused): lease only for free slots until it is not. */
  private drained = false;
  /** The group has a rate limit (the last reply said so). */
  private hasRateLimit = false;
  private readonly limits: GroupLimits | undefined;
  private readonly readyWaiters = new Set<(err?: Error) => void>();
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Until when a closing worker lets running jobs finish. */
  private runDeadline = 0;
  /** Until when it waits for Redis to settle them, before cutting the connections. */
  private hardDeadline = 0;
  private rearmHardDeadline: (() => void) | undefined;
  private lastFetchAt = Date.now();
  private callStartedAt = 0;

  constructor(name: string, processor: Processor<Data, Result>, opts: WorkerOptions) {
    const logger = opts?.logger ?? defaultLogger();
    const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const group = validateGroupName(opts?.group ?? 'default');
    super(childLogger(logger, { queue: name, group, worker: id }));
    this.name = validateQueueName(name);
    if (typeof processor !== 'function') throw new InvalidOptionError('Worker needs a processor function (job, { signal }) => result');
    const resolved = resolveWorkerOptions(opts);
    const { leaseMs, maxPayloadBytes } = resolved;
    this.id = id;
    this.group = group;
    this.concurrency = resolved.concurrency;
    this.leaseMs = leaseMs;
    this.aheadMs = resolved.aheadMs;
    this.limits = resolved.limits;
    this.maxPrefetch = resolved.maxPrefetch;
    this.blockMs = resolved.blockMs;
    this.watchdogGraceMs = resolved.watchdogGraceMs;
    this.evictionMode = resolved.evictionMode;
    this.leaseConfigJson = resolved.leaseConfigJson;
    this.wokeLeaseConfigJson = JSON.stringify({ ...(JSON.parse(resolved.leaseConfigJson) as object), woke: true });
    this.keys = queueKeys(opts.prefix ?? 'sluice', this.name);
    this.client = createClient(opts.connection, 'worker', `sluice:worker:${id}`).client;
    this.blocking = createClient(opts.connection, 'blocking', `sluice:blocking:${id}`).client;
    this.client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    this.blocking.on('error', (err) => this.logger.debug({ err }, 'redis blocking connection error'));
    this.scripts = new Scripts(this.client, this.keys);
    const ctx = { client: this.client, scripts: this.scripts, queueName: this.name, group: this.group, maxPayloadBytes };
    this.keeper = new LeaseKeeper(this.scripts, this.group, leaseMs, (jobId) => this.onLeaseLost(jobId), this.logger);
    this.waiter = new WakeWaiter(this.blocking, this.client, this.watchdogGraceMs, this.logger);
    this.settlement = new Settlement<Data, Result>(this.scripts, this.group, CONSUMER, this.leaseConfigJson, {
      completed: (job, result) => this.emit('completed', job, result),
      lost: (jobId, err) => this.emit('lost', jobId, err),
      error: (err) => this.reportError(err),
    });
    this.firer = new SchedulerFirer(this.client, this.scripts, this.keys, this.logger, (err) => this.reportError(err));
    this.runner = new JobRunner<Data, Result>({
      processor,
      ctx,
      scripts: this.scripts,
      group: this.group,
      keeper: this.keeper,
      backoffStrategies: { ...opts.backoffStrategies },
      events: {
        active: (job) => this.emit('active', job),
        failed: (job, err, willRetry) => this.emit('failed', job, err, willRetry),
        lost: (jobId, err) => this.emit('lost', jobId, err),
        error: (err) => this.reportError(err),
      },
      onAck: (ack) => this.onAck(ack),
      onSlotFree: () => this.onSlotFree(),
    });
    if (opts.autorun !== false) this.run();
  }

  private isActive(): boolean {
    return this.state === 'running';
  }

  private setState(next: WorkerState): void {
    this.logger.debug({ from: this.state, to: next }, 'worker state');
    this.state = next;
    for (const finish of [...this.readyWaiters]) finish(next === 'running' ? undefined : new ClosedError(`worker ${this.id}`));
  }

  /** Starts consuming (called by the constructor unless autorun is false). */
  run(): void {
    if (this.state !== 'starting' || this.loopDone) return;
    this.loopDone = this.loop().catch((err: unknown) => {
      this.reportError(err);
    });
  }

  /** Resolves once the worker consumes (connected, eviction policy checked); rejects if it closes first. */
  waitUntilReady(timeoutMs = 30_000): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state !== 'starting') return Promise.reject(new ClosedError(`worker ${this.id}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`worker ${this.id} was not running after ${timeoutMs} ms (is Redis reachable?)`)), timeoutMs);
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.readyWaiters.delete(finish);
        if (err) reject(err);
        else resolve();
      };
      this.readyWaiters.add(finish);
    });
  }

  /** Whether it is running and its connections answer (health().healthy). */
  isRunning(): boolean {
    return this.health().healthy;
  }

  /**
   * Its state, whether its connections answer and when it last heard from Redis, and counters
   * of this process: what a liveness probe needs.
   */
  health(): WorkerHealth {
    const age = Date.now() - Math.max(this.lastFetchAt, this.waiter.lastAnswerAt);
    const limit = this.callTimeoutMs();
    // healthy means Redis answers: a fetch or blocking read overdue past the watchdog is not
    const stuck =
      (this.phase === 'calling' && Date.now() - this.callStartedAt > limit) || (this.phase === 'blocking' && age > limit);
    return {
      state: this.state,
      healthy: this.state === 'running' && this.client.status === 'ready' && this.blocking.status === 'ready' && !stuck,
      connection: this.client.status,
      blockingConnection: this.blocking.status,
      lastFetchAgeMs: age,
      activeJobs: this.runner.size,
      prefetched: this.buffer.length,
      processed: this.settlement.completed,
      failed: this.runner.failures,
    };
  }

  // ---- the loop: fetch → run → settle -------------------------------------------------

  /** How many jobs to hold (running + leased ahead): more while jobs are short. */
  private capacity(): number {
    const avg = this.runner.avgJobMs;
    // no prefetch while the queue is empty (asking again would only poll), nor under a rate
    // limit (a job leased ahead would start later than the limiter counted it)
    if (avg === undefined || this.maxPrefetch === 0 || this.drained || this.hasRateLimit) return this.concurrency;
    const ahead = avg <= 0 ? this.maxPrefetch : Math.min(this.maxPrefetch, Math.floor((this.concurrency * PREFETCH_WINDOW_MS) / avg));
    return this.concurrency + ahead;
  }

  private async loop(): Promise<void> {
    try {
      await checkEvictionPolicy(this.client, this.evictionMode, this.logger);
      await this.ensureGroup();
    } catch (err) {
      this.reportError(err);
      void this.close({ timeoutMs: 0 }); // not awaited: close() waits for this loop to end
      return;
    }
    if (this.state !== 'starting') return;
    this.setState('running');
    this.keeper.start();
    let failuresInARow = 0;
    let busy = false; // the last reply was full: keep two calls in flight
    while (this.isActive()) {
      this.fill(busy ? PIPELINE_DEPTH : 1);
      const current = this.inflight.shift();
      if (!current) {
        await this.waitForLoop('waiting-slot');
        continue;
      }
      this.phase = 'calling';
      this.callStartedAt = current.sentAt;
      let reply: LeaseReply | 'timeout';
      try {
        reply = await withTimeout(current.call, this.callTimeoutMs());
        failuresInARow = 0;
      } catch (err) {
        this.requested -= current.want;
        this.phase = 'idle';
        this.callFailed(current, err);
        // the group was removed (or the queue obliterated) while this worker ran: it recreates
        // its group, from now, and logs it (stop a group's workers before removing it)
        if (String((err as Error).message).includes('NOGROUP')) await this.ensureGroup().catch((e: unknown) => this.reportError(e));
        else this.reportError(err);
        await this.waitForLoop('idle', Math.min(5000, 100 * 2 ** failuresInARow++));
        continue;
      }
      this.requested -= current.want;
      this.phase = 'idle';
      if (reply === 'timeout') {
        // a silent connection (half-open socket): reset it; abandoned calls keep their acks
        // and hand back whatever they lease if they ever complete
        this.logger.warn({ timeoutMs: this.callTimeoutMs() }, 'Redis did not answer a fetch in time; resetting the connection');
        this.client.disconnect(true);
        for (const call of [current, ...this.inflight.splice(0)]) this.abandon(call);
        this.requested = 0;
        continue;
      }
      this.lastFetchAt = Date.now();
      this.report(reply);
      if (!this.isActive()) {
        await this.settlement.handBack(reply.jobs.map((j) => [j.id, j.token]), false); // leased while closing
        break;
      }
      this.hasRateLimit = reply.hasRateLimit;
      for (let i = 0; i < reply.jobs.length; i++) {
        const raw = reply.jobs[i]!;
        // a moving average of the jobs' size bounds the next replies in bytes
        this.avgJobBytes += (raw.data.length + raw.opts.length - this.avgJobBytes) / 16;
        // those past the call's free slots were leased ahead, with the short first lease
        this.keeper.track(raw.id, raw.token, i < current.slots ? this.leaseMs : this.aheadMs);
        this.buffer.push({ raw, now: reply.now, sentAt: current.sentAt });
      }
      // fewer jobs than asked for means the queue is empty for now
      const empty = reply.idle;
      busy = !empty;
      this.drained = empty;
      // send the next calls before running this batch, so that Redis works while the jobs run
      if (busy) this.fill(PIPELINE_DEPTH);
      this.startBuffered();
      if (empty && this.inflight.length === 0 && this.settlement.size === 0 && this.buffer.length === 0 && reply.waitMs !== 0 && this.isActive()) {
        await this.block(reply);
      }
    }
    for (const call of this.inflight.splice(0)) this.abandon(call);
  }

  /** Sends fetches (acks folded in) until `depth` are in flight or there is nothing to ask. */
  private fill(depth: number): void {
    while (this.inflight.length < depth) {
      // a third of the capacity per call: the next batches are on their way while one runs
      const capacity = this.capacity();
      const room = capacity - this.runner.size - this.buffer.length - this.requested;
      const want = Math.max(0, Math.min(MAX_LEASE_PER_CALL, this.maxByBytes(), Math.ceil(capacity / 3), room));
      if (want === 0 && (this.settlement.size === 0 || this.inflight.length > 0)) return;
      const acks = this.settlement.take();
      // the jobs that will start at once; the rest wait in the buffer (leased ahead)
      const slots = Math.min(want, Math.max(0, this.concurrency - this.runner.size - this.buffer.length - this.requested));
      this.requested += want;
      const nonce = randomBytes(6).toString('base64url');
      const call = this.fetch(acks, want, nonce, slots);
      // handled here as well as where the loop awaits it: a pipelined call that fails while
      // the loop waits on another must not become an unhandled rejection (it kills the process)
      call.catch(() => undefined);
      this.inflight.push({ call, acks, want, slots, sentAt: Date.now(), nonce });
    }
  }

  /**
   * A call failed. Unless Redis refused it before running it (out of memory, a read-only
   * replica, ...: see certainlyNotApplied), it may have run: the connection dropped after
   * sending, and calls are not resent by ioredis (see connection.ts). Its acks are sent again,
   * marked so that an ack Redis applied the first time counts as done; what it may have leased
   * is handed back by its nonce, so those jobs neither wait out a lease nor count a stall.
   */
  private callFailed(call: Call<Data, Result>, err?: unknown): void {
    const ran = !certainlyNotApplied(err);
    this.settlement.putBack(call.acks, ran);
    if (ran && call.want > 0) void this.settlement.releaseCall(call.nonce);
  }

  /** How many jobs one lease reply may carry, from the size of the jobs seen so far. */
  private maxByBytes(): number {
    return Math.max(1, Math.floor(MAX_LEASE_REPLY_BYTES / Math.max(1, this.avgJobBytes)));
  }

  /** A call whose reply the loop will not use: hand back what it leases, keep its acks if it fails. */
  private abandon(call: Call<Data, Result>): void {
    call.call.then(
      (late) => this.settlement.handBack(late.jobs.map((j) => [j.id, j.token]), false),
      (err: unknown) => this.callFailed(call, err),
    );
  }

  private startBuffered(): void {
    while (this.buffer.length > 0 && this.runner.size < this.concurrency) {
      const { raw, now, sentAt } = this.buffer.shift()!;
      // a lease that may have run out (this process froze, or the event loop was blocked, since
      // the call was sent) is renewed before the job starts: another worker may have it by now
      if (Date.now() - sentAt >= this.aheadMs / 2) void this.startAfterRenewal(raw, now);
      else {
        this.keeper.track(raw.id, raw.token); // running: renewed to the full lease from now on
        void this.runner.run(raw, now);
      }
    }
  }

  private async startAfterRenewal(raw: LeasedJobRaw, now: number): Promise<void> {
    let held = false;
    try {
      held = await this.keeper.extend(raw.id, raw.token, this.leaseMs);
    } catch (err) {
      this.reportError(err);
    }
    if (held && this.isActive()) {
      void this.runner.run(raw, now);
      return;
    }
    // lost meanwhile (the keeper reported it), or closing, or Redis failed: not started here
    this.keeper.untrack(raw.id, raw.token);
    if (held) await this.settlement.handBack([[raw.id, raw.token]], false);
    else this.emit('lost', raw.id, new LeaseLostError(raw.id));
    this.wakeLoop();
  }

  /** Idle: waits for work on the group's wake marker (see idle-wait.ts). */
  private async block(reply: LeaseReply): Promise<void> {
    this.phase = 'blocking';
    try {
      const outcome = await waitWhileIdle({
        waiter: this.waiter, control: this.client, scripts: this.scripts, group: this.group,
        marker: this.keys.group(this.group).wake, blockMs: this.blockMs, isActive: () => this.isActive(),
      }, reply);
      if (outcome === 'woken') this.woke = true;
      else if (outcome === 'error' && this.isActive()) await this.waitForLoop('idle', 100);
    } catch (err) {
      this.reportError(err);
    } finally {
      this.phase = 'idle';
    }
  }

  private callTimeoutMs(): number {
    return this.blockMs + this.watchdogGraceMs;
  }

  /** An 'error' event; Redis failures become typed SluiceErrors (the ioredis error as cause). */
  private reportError(err: unknown): void {
    this.emit('error', wrapRedisError(err instanceof Error ? err : new Error(String(err)), this.client));
  }

  /** Before leasing (and when the group went missing): see prepareGroup. */
  private ensureGroup(): Promise<void> {
    return prepareGroup(this.client, this.scripts, this.group, this.limits, this.logger);
  }

  /**
   * The dynamic limit: the whole group (every worker, every process) starts no job for `ms`,
   * e.g. after a downstream answered HTTP 429. Jobs already running finish. Throwing
   * RateLimitError from a processor does the same and puts that job back unpenalised.
   */
  async rateLimit(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms < 0) throw new InvalidOptionError(`rateLimit needs an integer number of ms >= 0; got ${ms}`);
    await this.scripts.rateLimit(this.group, ms);
  }

  private async fetch(acks: PendingAck<Data, Result>[], count: number, nonce: string, slots: number): Promise<LeaseReply> {
    // the first lease after a wake tells the script so: a full batch then wakes the next worker
    const leaseConfigJson = this.woke && count > 0 ? this.wokeLeaseConfigJson : this.leaseConfigJson;
    if (count > 0) this.woke = false;
    if (acks.length === 0) return this.scripts.lease(this.group, CONSUMER, nonce, count, leaseConfigJson, slots);
    const { refused, lease } = await this.scripts.complete(this.group, CONSUMER, nonce, count, leaseConfigJson, acks, slots);
    this.settlement.confirm(acks, refused);
    return lease;
  }

  private report(reply: LeaseReply): void {
    // any group's worker fires a due slot: the job it makes reaches every group
    if (reply.schedulersDue) this.firer.fireDue(reply.now);
    for (const id of reply.stalled) this.emit('stalled', id);
    for (const dead of reply.dead) {
      this.runner.failures++;
      this.emit('failed', undefined, new Error(`job ${dead.id}: ${dead.reason}`), false);
    }
  }

  /** Parks the loop until a slot frees, an ack arrives, close() is called, or `ms` pass. */
  private waitForLoop(phase: 'waiting-slot' | 'idle', ms?: number): Promise<void> {
    this.phase = phase;
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.loopWaiter?.(), ms);
      this.loopWaiter = () => {
        clearTimeout(timer);
        this.loopWaiter = undefined;
        this.phase = 'idle';
        resolve();
      };
    });
  }

  /** Wakes a parked loop after the current burst of completions, so that their acks go together. */
  private wakeLoop(): void {
    if (this.wakeScheduled || !this.loopWaiter) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.loopWaiter?.();
    });
  }

  private onAck(ack: PendingAck<Data, Result>): void {
    this.settlement.push(ack);
    // the loop folds acks into its next fetch; while it blocks in Redis, flush them here
    if (this.phase === 'blocking' || !this.isActive()) void this.settlement.flush();
    else this.wakeLoop();
  }

  private onSlotFree(): void {
    if (this.isActive()) this.startBuffered();
    this.wakeLoop();
  }

  private onLeaseLost(jobId: string): void {
    if (this.runner.leaseLost(jobId)) return;
    // not started yet: drop it from the buffer; another worker has it now
    const at = this.buffer.findIndex((b) => b.raw.id === jobId);
    if (at >= 0) {
      this.buffer.splice(at, 1);
      this.emit('lost', jobId, new LeaseLostError(jobId));
      this.wakeLoop(); // room to fetch again
    }
  }

  // ---- shutdown ---------------------------------------------------------------------------

  /**
   * Graceful shutdown, idempotent: stop fetching and hand back the jobs leased ahead, let
   * running jobs finish until `timeoutMs` (default 30 s), then abort the rest through their
   * signal and hand them back without using an attempt. Settles every finished job before
   * closing the connections. Calling it again while it closes can shorten the wait (e.g.
   * `close({ timeoutMs: 0 })` on a second Ctrl-C): running jobs are then aborted and handed
   * back at once. `close(true)` is BullMQ's spelling of `close({ timeoutMs: 0 })`.
   *
   * @param opts `timeoutMs`: how long running jobs may take to finish (default 30,000 ms).
   * @returns once every connection of the worker is closed; nothing of it then keeps the
   * process alive.
   * @example
   * ```ts
   * process.once('SIGTERM', () => void worker.close({ timeoutMs: 10_000 }));
   * ```
   */
  close(opts: { timeoutMs?: number } | boolean = {}): Promise<void> {
    let timeoutMs: number;
    try {
      timeoutMs = typeof opts === 'boolean' ? (opts ? 0 : 30_000) : closeTimeout(opts);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing) {
      if (Date.now() + timeoutMs < this.runDeadline) {
        this.runDeadline = Date.now() + timeoutMs;
        this.hardDeadline = Math.min(this.hardDeadline, this.runDeadline + CLOSE_GRACE_MS);
        this.rearmHardDeadline?.();
        this.loopWaiter?.(); // waitForRunning re-reads the deadline
      }
      return this.closing;
    }
    this.runDeadline = Date.now() + timeoutMs;
    this.hardDeadline = this.runDeadline + CLOSE_GRACE_MS;
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const wasBlocking = this.phase === 'blocking';
    this.setState('closing');
    if (wasBlocking) this.waiter.interrupt();
    this.wakeLoop();
    // Redis may be down: its steps get the timeout plus a grace, then the connections are cut
    // (leases then expire and the jobs are delivered again: nothing is lost)
    const settled = await this.withinHardDeadline(async () => {
      await this.loopDone?.catch(() => undefined);
      await this.settlement.handBack(this.buffer.splice(0).map((b): [string, string] => [b.raw.id, b.raw.token]), false);
      await this.waitForRunning();
      await this.settlement.handBack(this.runner.abortAll(new ShutdownError()), true);
      await this.settlement.flush();
      await this.runner.whenSettled();
      await this.firer.idle();
      await this.settlement.flush();
    });
    if (!settled) this.logger.warn('Redis did not answer while closing; unsettled jobs will be delivered again after their lease');
    this.keeper.stop();
    cutConnection(this.blocking);
    if (settled) await closeClient(this.client, true);
    else cutConnection(this.client);
    this.setState('closed');
    this.emit('closed');
  }

  /** Runs `steps` until done or `hardDeadline` (which close() may bring forward); false when the deadline came first. */
  private async withinHardDeadline(steps: () => Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => {
      this.rearmHardDeadline = () => {
        clearTimeout(timer);
        timer = setTimeout(() => resolve(false), Math.max(0, this.hardDeadline - Date.now()));
      };
      this.rearmHardDeadline();
    });
    const done = await Promise.race([steps().then(() => true as const), late]);
    clearTimeout(timer);
    this.rearmHardDeadline = undefined;
    return done;
  }

  /** Waits for running jobs until `runDeadline`, which a second close() may bring forward. */
  private async waitForRunning(): Promise<void> {
    while (this.runner.size > 0 && Date.now() < this.runDeadline) {
      await this.waitForLoop('idle', Math.max(0, this.runDeadline - Date.now()));
      await this.settlement.flush();
    }
  }
}

/** The longest wait a timer can hold (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** close()'s timeoutMs, checked: a number of ms >= 0 (longer than a timer holds: clamped). */
function closeTimeout(opts: { timeoutMs?: number } | undefined): number {
  const ms = opts?.timeoutMs ?? 30_000;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new InvalidOptionError(`close({ timeoutMs }) must be a number of ms >= 0; got ${String(ms)}`);
  }
  return Math.min(ms, MAX_TIMER_MS - CLOSE_GRACE_MS);
}
