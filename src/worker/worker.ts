// The public Worker: its options, the wiring of its parts, and its lifecycle — starting
// (connect, check the eviction policy, prepare the group), health, the dynamic rate limit, and a
// graceful close. States: starting → running → closing → closed, changed only by setState().
// The work itself — fetch (lease, folding pending acks into the same call) → run → settle, and
// blocking while idle — is the loop's (worker-loop.ts, with its own phase machine), with running
// jobs (JobRunner), lease renewal (LeaseKeeper), acks (Settlement) and idle blocking (WakeWaiter)
// as separate pieces. This file wires them and starts and stops the loop; it does not lease.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { checkEvictionPolicy, closeClient, createClient, cutConnection, type EvictionPolicyMode } from '../redis/connection.js';
import { ClosedError, InvalidOptionError, ShutdownError } from '../errors.js';
import { JobRunner } from './job-runner.js';
import { queueKeys } from '../redis/keys.js';
import { LeaseKeeper } from './lease-keeper.js';
import { childLogger, defaultLogger } from '../logger.js';
import { validateGroupName, validateQueueName } from '../validate.js';
import { SchedulerFirer } from '../scheduling/due-schedulers.js';
import { Settlement } from './settlement.js';
import { prepareGroup } from '../fanout/groups.js';
import type { GroupLimits } from '../flow-control/rate-limit.js';
import { resolveWorkerOptions } from './worker-options.js';
import { reportLastingRefusals, wrapRedisError } from '../redis/redis-errors.js';
import { Scripts } from '../redis/scripts.js';
import { TypedEmitter } from '../events/typed-emitter.js';
import { WakeWaiter } from './wake-waiter.js';
import { CONSUMER } from './lease-calls.js';
import { WorkerLoop } from './worker-loop.js';
import type { Processor, WorkerEvents, WorkerHealth, WorkerOptions, WorkerState } from './worker-api.js';

export type { Processor, ProcessorContext, WorkerEvents, WorkerHealth, WorkerOptions, WorkerState } from './worker-api.js';

/** Time Redis gets to settle a closing worker's jobs, beyond close()'s timeout. */
const CLOSE_GRACE_MS = 5_000;

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
  private readonly client: Redis;
  private readonly blocking: Redis;
  private readonly scripts: Scripts;
  private readonly keeper: LeaseKeeper;
  private readonly waiter: WakeWaiter;
  private readonly runner: JobRunner<Data, Result>;
  private readonly firer: SchedulerFirer;
  private readonly settlement: Settlement<Data, Result>;
  private readonly loop: WorkerLoop<Data, Result>;
  private readonly evictionMode: EvictionPolicyMode;
  private readonly limits: GroupLimits | undefined;
  private readonly readyWaiters = new Set<(err?: Error) => void>();
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Until when a closing worker lets running jobs finish. */
  private runDeadline = 0;
  /** Until when it waits for Redis to settle them, before cutting the connections. */
  private hardDeadline = 0;
  private rearmHardDeadline: (() => void) | undefined;

  constructor(name: string, processor: Processor<Data, Result>, opts: WorkerOptions) {
    const logger = opts?.logger ?? defaultLogger();
    const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const group = validateGroupName(opts?.group ?? 'default');
    super(childLogger(logger, { queue: name, group, worker: id }));
    this.name = validateQueueName(name);
    if (typeof processor !== 'function') throw new InvalidOptionError('Worker needs a processor function (job, { signal }) => result');
    const resolved = resolveWorkerOptions(opts);
    const { leaseMs, maxPayloadBytes, leaseConfigJson } = resolved;
    this.id = id;
    this.group = group;
    this.concurrency = resolved.concurrency;
    this.limits = resolved.limits;
    this.evictionMode = resolved.evictionMode;
    const keys = queueKeys(opts.prefix ?? 'sluice', this.name);
    this.client = createClient(opts.connection, 'worker', `sluice:worker:${id}`).client;
    this.blocking = createClient(opts.connection, 'blocking', `sluice:blocking:${id}`).client;
    this.client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    this.blocking.on('error', (err) => this.logger.debug({ err }, 'redis blocking connection error'));
    // an untrusted certificate or a refused password: an 'error' event, not a silent wait
    reportLastingRefusals(this.client, (err) => this.reportError(err));
    this.scripts = new Scripts(this.client, keys);
    const ctx = { client: this.client, scripts: this.scripts, queueName: this.name, group: this.group, maxPayloadBytes };
    this.keeper = new LeaseKeeper(this.scripts, this.group, leaseMs, (jobId) => this.loop.onLeaseLost(jobId), this.logger);
    this.waiter = new WakeWaiter(this.blocking, this.client, resolved.watchdogGraceMs, this.logger, (err) => this.reportError(err));
    this.settlement = new Settlement<Data, Result>(this.scripts, this.group, CONSUMER, leaseConfigJson, {
      completed: (job, result) => this.emit('completed', job, result),
      lost: (jobId, err) => this.emit('lost', jobId, err),
      error: (err) => this.reportError(err),
    });
    this.firer = new SchedulerFirer(this.client, this.scripts, keys, this.logger, (err) => this.reportError(err));
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
      onAck: (ack) => this.loop.onAck(ack),
      onSlotFree: () => this.loop.onSlotFree(),
    });
    this.loop = new WorkerLoop<Data, Result>({
      client: this.client,
      scripts: this.scripts,
      group: this.group,
      marker: keys.group(this.group).wake,
      runner: this.runner,
      keeper: this.keeper,
      settlement: this.settlement,
      waiter: this.waiter,
      firer: this.firer,
      concurrency: this.concurrency,
      maxPrefetch: resolved.maxPrefetch,
      leaseMs,
      aheadMs: resolved.aheadMs,
      blockMs: resolved.blockMs,
      watchdogGraceMs: resolved.watchdogGraceMs,
      leaseConfigJson,
      logger: this.logger,
      isActive: () => this.isActive(),
      ensureGroup: () => this.ensureGroup(),
      events: {
        stalled: (jobId) => this.emit('stalled', jobId),
        failed: (job, err, willRetry) => this.emit('failed', job, err, willRetry),
        lost: (jobId, err) => this.emit('lost', jobId, err),
        error: (err) => this.reportError(err),
      },
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
    this.loopDone = this.start().catch((err: unknown) => {
      this.reportError(err);
    });
  }

  /** Resolves once the worker consumes (connected, eviction policy checked); rejects if it closes first. */
  waitUntilReady(timeoutMs = 30_000): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.state !== 'starting') return Promise.reject(new ClosedError(`worker ${this.id}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`worker ${this.id} was not running after ${timeoutMs} ms (is Redis reachable?)`)),
        timeoutMs,
      );
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
    return {
      state: this.state,
      // healthy means Redis answers: a fetch or blocking read overdue past the watchdog is not
      healthy: this.state === 'running' && this.client.status === 'ready' && this.blocking.status === 'ready' && !this.loop.isOverdue(),
      connection: this.client.status,
      blockingConnection: this.blocking.status,
      lastFetchAgeMs: this.loop.lastAnswerAgeMs(),
      activeJobs: this.runner.size,
      prefetched: this.loop.prefetched,
      processed: this.settlement.completed,
      failed: this.runner.failures,
    };
  }

  /** Connects, checks the eviction policy, prepares the group, then runs the loop until closing. */
  private async start(): Promise<void> {
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
    await this.loop.run();
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
        this.loop.resumeNow(); // waitForRunning re-reads the deadline
      }
      return this.closing;
    }
    this.runDeadline = Date.now() + timeoutMs;
    this.hardDeadline = this.runDeadline + CLOSE_GRACE_MS;
    this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.setState('closing');
    this.loop.interrupt();
    // Redis may be down: its steps get the timeout plus a grace, then the connections are cut
    // (leases then expire and the jobs are delivered again: nothing is lost)
    const settled = await this.withinHardDeadline(async () => {
      await this.loopDone?.catch(() => undefined);
      await this.settlement.handBack(this.loop.takeBuffered(), false);
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
      await this.loop.pause(Math.max(0, this.runDeadline - Date.now()));
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
