// The public Worker: its options, the wiring of its parts, and its lifecycle — starting (connect,
// check the eviction policy, prepare the group), health, the dynamic rate limit, and a graceful
// close. States: starting → running → closing → closed, changed only by setState(); pause(),
// resume() and the run-time concurrency go through worker-controls.ts, cancelJob worker-cancel.ts.
// The work itself (fetch → run → settle, and blocking while idle) is the loop's (worker-loop.ts),
// with JobRunner, LeaseKeeper, Settlement and WakeWaiter as separate pieces. It does not lease.
import type { Redis } from 'ioredis';
import { resolveProcessor, type SandboxPool } from '../sandbox/sandbox-pool.js';
import { checkEvictionPolicy, closeClient, createClient, cutConnection } from '../redis/connection.js';
import { ClosedError, InvalidOptionError, ShutdownError } from '../errors.js';
import { queueKeys, type QueueKeys } from '../redis/keys.js';
import { childLogger, defaultLogger, type Logger } from '../logger.js';
import { validateGroupName, validateQueueName } from '../validate.js';
import { CLOSE_GRACE_MS, closeTimeout, resolveWorkerOptions, type ResolvedWorkerOptions } from './worker-options.js';
import { addCancelMethods, type WorkerCancelMethods } from './worker-cancel.js';
import { workerMetrics, type WorkerMetrics } from '../metrics/worker-metrics.js';
import { reportLastingRefusals, wrapRedisError } from '../redis/redis-errors.js';
import { Scripts } from '../redis/scripts.js';
import { newWorkerId } from '../redis/lease-token.js';
import { TypedEmitter } from '../events/typed-emitter.js';
import { PARTITION_WATCH_BLOCKS, watchForPartitions } from '../partitions/partition-watch.js';
import * as controls from './worker-controls.js';
import { PartitionConsumer, type ConsumerEvents } from './partition-consumer.js';
import { SlotPool } from './slot-pool.js';
import { partitionKeys } from '../partitions/layout.js';
import { resolvePartitions } from '../partitions/layout-record.js';
import { writeRateLimit, type GroupLimits } from '../flow-control/rate-limit.js';
import type { Processor, WorkerEvents, WorkerHealth, WorkerOptions, WorkerState } from './worker-api.js';

export type { Processor, ProcessorContext, WorkerEvents, WorkerHealth, WorkerOptions, WorkerState } from './worker-api.js';

/** Worker's methods from other files: cancelJob and cancelAllJobs (worker-cancel.ts). */
// biome-ignore lint/correctness/noUnusedVariables: the type parameters must match the class it merges with
export interface Worker<Data = unknown, Result = unknown> extends WorkerCancelMethods {}

/**
 * Runs jobs of one queue's consumer group: leases them from Redis, calls your processor with up
 * to `concurrency` of them at once, renews their leases while they run, and settles each one:
 * completed, retried with backoff, or failed for good. Start as many workers, in as many
 * processes, as you need: they share the group's jobs, and a job whose worker dies is
 * delivered again once its lease runs out (at least once; `job.token` fences a late ack).
 *
 * Idle workers block in Redis and are woken when work is ready; they do not poll. For CPU-bound
 * work, give the path of a processor file instead of a function: it runs in worker threads or
 * child processes (`sandbox` option, docs/sandbox.md), and the worker's event loop stays free.
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
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class Worker<Data = unknown, Result = unknown> extends TypedEmitter<WorkerEvents<Data, Result>> {
  static {
    addCancelMethods(Worker);
  }
  /** The queue's name. */
  readonly name: string;
  /** The consumer group this worker takes jobs from. */
  readonly group: string;
  /** This worker's id (`host:pid:random`), also in its Redis connection names. */
  readonly id: string;
  private state: WorkerState = 'starting';
  private readonly client: Redis;
  /** The blocking connection of the first partition (of the queue, when it is not partitioned). */
  private readonly blocking: Redis;
  private readonly connection: WorkerOptions['connection'];
  private readonly prefix: string;
  private readonly processor: Processor<Data, Result>;
  /** The children that run a processor file (src/sandbox), when one was given. */
  private readonly sandbox: SandboxPool<Data, Result> | undefined;
  private readonly options: ResolvedWorkerOptions;
  private readonly backoffStrategies: NonNullable<WorkerOptions['backoffStrategies']>;
  /** Scripts on the queue's own keys: the partitions record (for a partitioned queue) lives there. */
  private readonly rootScripts: Scripts;
  private readonly wantedPartitions: number | undefined;
  private readonly pool: SlotPool;
  /** One per partition (one for a queue that is not partitioned); made once the number is known. */
  private consumers: PartitionConsumer<Data, Result>[] = [];
  private readonly readyWaiters = new Set<(err?: Error) => void>();
  private loopDone: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** Until when a closing worker lets running jobs finish. */
  private runDeadline = 0;
  /** Until when it waits for Redis to settle them, before cutting the connections. */
  private hardDeadline = 0;
  private rearmHardDeadline: (() => void) | undefined;
  /** Metrics and registry heartbeat (src/metrics), unless `metrics: false`. */
  private readonly metrics: WorkerMetrics | undefined;

  constructor(name: string, processor: Processor<Data, Result> | string | URL, opts: WorkerOptions) {
    const logger = opts?.logger ?? defaultLogger();
    const id = newWorkerId();
    const group = validateGroupName(opts?.group ?? 'default');
    super(childLogger(logger, { queue: name, group, worker: id }));
    this.name = validateQueueName(name);
    this.options = resolveWorkerOptions(opts, typeof processor !== 'function');
    ({ processor: this.processor, pool: this.sandbox } = resolveProcessor(processor, opts.sandbox, this.options.concurrency, this.logger));
    this.backoffStrategies = { ...opts.backoffStrategies };
    this.id = id;
    this.group = group;
    this.wantedPartitions = this.options.partitions;
    this.pool = new SlotPool(this.options.concurrency);
    this.connection = opts.connection;
    this.prefix = opts.prefix ?? 'sluice';
    this.client = createClient(opts.connection, 'worker', `sluice:worker:${id}`).client;
    this.blocking = this.newBlockingClient(0);
    this.client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    // an untrusted certificate or a refused password: an 'error' event, not a silent wait
    reportLastingRefusals(this.client, (err) => this.reportError(err));
    this.rootScripts = new Scripts(this.client, queueKeys(this.prefix, this.name));
    this.metrics = workerMetrics(this.options, id, group, this.pool, (err) => this.reportError(err));
    if (opts.autorun !== false) this.run();
  }

  private newBlockingClient(partition: number): Redis {
    const suffix = partition === 0 ? '' : `:p${partition}`;
    const blocking = createClient(this.connection, 'blocking', `sluice:blocking:${this.id}${suffix}`).client;
    blocking.on('error', (err) => this.logger.debug({ err, partition }, 'redis blocking connection error'));
    return blocking;
  }

  /** The consumers of the queue's partitions, sharing the worker's connection, slots and events. */
  private makeConsumers(keys: QueueKeys[], limits: GroupLimits | undefined): PartitionConsumer<Data, Result>[] {
    const events: ConsumerEvents<Data, Result> = {
      active: (job) => this.emit('active', job),
      completed: (job, result) => this.emit('completed', job, result),
      failed: (job, err, willRetry) => this.emit('failed', job, err, willRetry),
      stalled: (jobId) => this.emit('stalled', jobId),
      lost: (jobId, err) => this.emit('lost', jobId, err),
      error: (err) => this.reportError(err),
    };
    return keys.map(
      (partitionKeys, p) =>
        new PartitionConsumer<Data, Result>({
          queueName: this.name,
          group: this.group,
          workerId: this.id,
          keys: partitionKeys,
          client: this.client,
          blocking: p === 0 ? this.blocking : this.newBlockingClient(p),
          processor: this.processor,
          options: this.options,
          backoffStrategies: this.backoffStrategies,
          limits,
          pool: this.pool,
          rootScripts: this.rootScripts,
          logger: keys.length === 1 ? this.logger : (childLogger(this.logger, { partition: p }) as Logger),
          isActive: () => this.isActive(),
          events,
          metrics: this.metrics?.recorder(p),
        }),
    );
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

  /** Its state, whether its connections answer, when it last heard from Redis, and counters: what a liveness probe needs. */
  health(): WorkerHealth {
    return controls.workerHealth(this.state, this.client, this.blocking, this.pool, this.consumers);
  }

  /** Connects, checks the eviction policy, learns the queue's partitions, prepares the group in each, then runs their loops. */
  private async start(): Promise<void> {
    try {
      await checkEvictionPolicy(this.client, this.options.evictionMode, this.logger);
      const count = await resolvePartitions(this.rootScripts, this.name, this.wantedPartitions);
      if (this.state !== 'starting') return;
      let limits = this.options.limits;
      if (count > 1 && limits?.limiter !== undefined) {
        // a partitioned queue's group rate limit is the whole queue's: kept in its own meta
        await writeRateLimit(this.client, this.rootScripts.keys, this.group, limits.limiter, partitionKeys(this.prefix, this.name, count));
        limits = { ...limits, limiter: undefined };
      }
      this.consumers = this.makeConsumers(partitionKeys(this.prefix, this.name, count), limits);
      await Promise.all(this.consumers.map((c) => c.ensureGroup()));
    } catch (err) {
      this.reportError(err);
      void this.close({ timeoutMs: 0 }); // not awaited: close() waits for this loop to end
      return;
    }
    if (this.state !== 'starting') return;
    this.setState('running');
    const report = (e: Error) => this.reportError(e);
    if (this.consumers.length === 1 && this.wantedPartitions === undefined) {
      watchForPartitions(this.rootScripts, this.name, PARTITION_WATCH_BLOCKS * this.options.blockMs, () => this.isActive(), report);
    }
    for (const c of this.consumers) c.keeper.start();
    this.metrics?.start(this.consumers);
    await Promise.all(this.consumers.map((c) => c.loop.run()));
  }

  /** An 'error' event; Redis failures become typed SluiceErrors (the ioredis error as cause). */
  private reportError(err: unknown): void {
    this.emit('error', wrapRedisError(err instanceof Error ? err : new Error(String(err)), this.client));
  }

  /**
   * The dynamic limit: the whole group (every worker, every process) starts no job for `ms`,
   * e.g. after a downstream answered HTTP 429. Jobs already running finish. Throwing
   * RateLimitError from a processor does the same and puts that job back unpenalised.
   */
  async rateLimit(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms < 0) throw new InvalidOptionError(`rateLimit needs an integer number of ms >= 0; got ${ms}`);
    await this.started();
    // on a partitioned queue: on every partition
    await Promise.all(this.consumers.map((c) => c.scripts.rateLimit(this.group, ms)));
  }

  /**
   * Pauses this worker only (`queue.pause()` pauses the group): it leases no new job and hands
   * back at once the jobs it leased ahead (no attempt used); its running jobs finish and are
   * acked. Emits `paused`. A paused worker stays healthy (`health().paused` says so).
   * @param doNotWaitActive - resolve once it leases nothing, without waiting for its running jobs.
   */
  async pause(doNotWaitActive = false): Promise<void> {
    const first = !this.pool.paused;
    if (first) await controls.pauseConsumers(this.pool, this.consumers);
    if (!doNotWaitActive) await controls.whenRunningSettled(this.pool, this.consumers);
    if (first && this.pool.paused) this.emit('paused');
  }

  /** Leases again after pause(); emits `resumed`. Does nothing unless paused. */
  resume(): void {
    if (!this.pool.paused) return;
    controls.resumeConsumers(this.pool, this.consumers);
    this.emit('resumed');
  }

  /** Whether pause() was called and resume() not since. */
  isPaused(): boolean {
    return this.pool.paused;
  }

  /**
   * Jobs it runs at once; settable at run time (a lower value cancels nothing: no job starts until fewer run).
   * @throws {InvalidOptionError} set to anything but an integer >= 1.
   */
  get concurrency(): number {
    return this.pool.concurrency;
  }

  set concurrency(value: number) {
    controls.changeConcurrency(this.pool, this.consumers, controls.checkConcurrency(value));
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
      timeoutMs = typeof opts === 'boolean' ? (opts ? 0 : 30_000) : closeTimeout(opts, CLOSE_GRACE_MS);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.closing) {
      if (Date.now() + timeoutMs < this.runDeadline) {
        this.runDeadline = Date.now() + timeoutMs;
        this.hardDeadline = Math.min(this.hardDeadline, this.runDeadline + CLOSE_GRACE_MS);
        this.rearmHardDeadline?.();
        for (const c of this.consumers) c.loop.resumeNow(); // waitForRunning re-reads the deadline
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
    const all = this.consumers;
    for (const c of all) c.loop.interrupt();
    // Redis may be down: its steps get the timeout plus a grace, then the connections are cut
    // (leases then expire and the jobs are delivered again: nothing is lost)
    const settled = await this.withinHardDeadline(async () => {
      await this.loopDone?.catch(() => undefined);
      await Promise.all(all.map((c) => c.settlement.handBack(c.loop.takeBuffered(), false)));
      await this.waitForRunning();
      await Promise.all(all.map((c) => c.settlement.handBack(c.runner.abortAll(new ShutdownError()), true)));
      await Promise.all(all.map((c) => c.settlement.flush()));
      await Promise.all(all.map((c) => c.runner.whenSettled()));
      await Promise.all(all.map((c) => c.firer.idle()));
      await Promise.all(all.map((c) => c.settlement.flush()));
      await this.metrics?.close();
    });
    if (!settled) this.logger.warn('Redis did not answer while closing; unsettled jobs will be delivered again after their lease');
    for (const c of all) c.keeper.stop();
    await this.sandbox?.close();
    cutConnection(this.blocking);
    for (const c of all) if (c.blocking !== this.blocking) cutConnection(c.blocking);
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
    while (this.pool.running() > 0 && Date.now() < this.runDeadline) {
      const left = Math.max(0, this.runDeadline - Date.now());
      // any partition's loop is woken when one of its jobs ends
      await Promise.race(this.consumers.map((c) => c.loop.pause(left)));
      await Promise.all(this.consumers.map((c) => c.settlement.flush()));
    }
  }

  /** Resolves once the worker has made its consumers (it knows the queue's partitions). */
  private async started(): Promise<void> {
    if (this.consumers.length === 0) await this.waitUntilReady();
  }
}
