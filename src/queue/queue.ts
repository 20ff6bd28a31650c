// The producer and admin side of a queue: add jobs, read them back, and manage the queue
// (pause, drain, retry, clean, obliterate). Admin operations run in bounded batches so that a
// queue of millions never stalls Redis for other clients. It does not process jobs (Worker).
import type { Redis } from 'ioredis';
import { JobWriter } from './job-writer.js';
import { writeQueueSettings } from './queue-settings.js';
import { registerQueue, unregisterQueue } from '../ops/queue-registry.js';
import { RequestReply } from '../events/request-reply.js';
import { addSchedulerMethods, type QueueSchedulerMethods } from '../scheduling/scheduler-methods.js';
import { addMetricsMethods, type QueueMetricsMethods } from '../metrics/metrics-methods.js';
import { addConcurrencyMethods, type QueueConcurrencyMethods } from '../flow-control/global-concurrency.js';
import { addCancelMethod, type QueueCancelMethods } from './cancel-method.js';
import { addExplainMethod, type QueueExplainMethods } from '../ops/explain-method.js';
import { checkEvictionPolicy, closeClient, createClient } from '../redis/connection.js';
import { ClosedError, InvalidOptionError, JobNotFoundError, JobActiveError } from '../errors.js';
import { guardRedisErrors, trackConnection } from '../redis/redis-errors.js';
import { cleanFinished, drainGroup, obliterateQueue, promoteDelayed, retryFinished } from './queue-admin.js';
import type { Job, JobState } from '../job/job.js';
import { GroupReaders, type QueueReader, type JobsPage, type PageOptions } from './queue-reader.js';
import { readRateLimit, validateRateLimit, writeRateLimit, type RateLimit } from '../flow-control/rate-limit.js';
import { createGroup, getGroups, removeGroup, type CreateGroupOptions, type GroupInfo } from '../fanout/groups.js';
import { queueKeys, type QueueKeys } from '../redis/keys.js';
import { childLogger, defaultLogger, type Logger } from '../logger.js';
import { validateJobOptions, type JobsOptions } from '../job/job-options.js';
import { checkOptionNames, positiveInt, shown, validateGroupName, validateQueueName } from '../validate.js';
import {
  METHOD_OPTION_NAMES as NAMES,
  groupOf,
  methodOptions,
  resolveQueueOptions,
  type AddOptions,
  type GroupOption,
  type QueueOptions,
  type ResolvedQueueOptions,
} from './queue-options.js';
import { Scripts } from '../redis/scripts.js';
import { addQueueAliases, type BullmqQueueAliases } from './bullmq-aliases.js';
import { addGetterMethods, type CleanState, type QueueGetterMethods } from './queue-getters.js';
import { QueueLayout, routeToPartitions, type PartOptions } from '../partitions/queue-routing.js';

export type { AddOptions, GroupOption, QueueOptions } from './queue-options.js';

/**
 * Methods installed from other files: the schedulers' (scheduler-methods.ts), getJobs, getJobIds
 * and getJobCounts (queue-getters.ts), the group-wide concurrency cap (global-concurrency.ts),
 * cancelJob (cancel-method.ts) and BullMQ's names for some methods (bullmq-aliases.ts).
 */
export interface Queue<Data = unknown, Result = unknown>
  extends QueueSchedulerMethods<Data>,
    BullmqQueueAliases,
    QueueMetricsMethods,
    QueueExplainMethods,
    QueueGetterMethods<Data, Result>,
    QueueConcurrencyMethods,
    QueueCancelMethods {}

/**
 * The producer and admin side of one queue: add jobs, read them, and manage the queue
 * (pause, retry, clean, schedulers, consumer groups, rate limits). Any number of Queue objects,
 * in any number of processes, may point at the same queue; they share everything through Redis.
 *
 * Every method reports Redis failures as typed errors: `RedisUnavailableError` (unreachable,
 * timed out, connection dropped), `RedisOutOfMemoryError` and `RedisReadOnlyError` (a write
 * refused), `RedisCommandError` (any other error reply). After close() they reject with
 * `ClosedError`.
 *
 * @typeParam Data - the type of the jobs' data.
 * @typeParam Result - the type the processor returns (what `call()` and `Job.returnvalue` give).
 *
 * @example
 * ```ts
 * import { Queue } from 'sluice';
 *
 * const orders = new Queue<{ orderId: string }>('orders', { connection: 'redis://127.0.0.1:6379' });
 * await orders.add('charge', { orderId: 'A-1001' }, { attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
 * await orders.add('reminder', { orderId: 'A-1001' }, { delay: 24 * 3600_000 });
 * console.log(await orders.getJobCounts()); // { waiting: 1, delayed: 1, ... }
 * await orders.close();
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: see the interface above
export class Queue<Data = unknown, Result = unknown> {
  static {
    addSchedulerMethods(Queue);
    addMetricsMethods(Queue);
    addConcurrencyMethods(Queue);
    addCancelMethod(Queue);
    addExplainMethod(Queue);
    addGetterMethods(Queue); // before the routing, which wraps getJobs and getJobCounts
    routeToPartitions(Queue, (queue) => ({ layout: queue.layout, client: queue.client }));
    guardRedisErrors(Queue, (queue) => queue.client);
    addQueueAliases(Queue);
  }

  /** The queue's name. */
  readonly name: string;
  /** @internal The queue's Redis keys. */
  readonly keys: QueueKeys;
  /** @internal */
  protected readonly client: Redis;
  private readonly owned: boolean;
  /** @internal */
  protected readonly scripts: Scripts;
  private readonly options: ResolvedQueueOptions;
  private readonly logger: Logger;
  private readyPromise: Promise<void> | undefined;
  private closed = false;
  private readonly readers: GroupReaders<Data, Result>;
  private readonly writer: JobWriter<Data, Result>;
  private readonly replies: RequestReply<Result>;
  private readonly layout: QueueLayout;

  constructor(name: string, opts: QueueOptions) {
    this.name = validateQueueName(name);
    this.options = resolveQueueOptions(opts);
    const part = opts.partition;
    this.logger = childLogger(opts.logger ?? defaultLogger(), part ? { queue: this.name, partition: part.index } : { queue: this.name });
    this.keys = queueKeys(this.options.prefix, this.name, part);
    const { client, owned } = createClient(opts.connection, 'producer');
    this.client = client;
    this.owned = owned;
    // errors reach callers through rejected promises (naming the last connection error)
    if (owned) client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    trackConnection(client, { errors: owned });
    this.scripts = new Scripts(client, this.keys);
    this.readers = new GroupReaders<Data, Result>({
      client,
      scripts: this.scripts,
      queueName: this.name,
      maxPayloadBytes: this.options.maxPayloadBytes,
    });
    this.replies = new RequestReply<Result>(this.name, { connection: opts.connection, prefix: this.options.prefix, logger: this.logger });
    this.writer = new JobWriter<Data, Result>({
      name: this.name,
      client,
      scripts: this.scripts,
      keys: this.keys,
      connection: opts.connection,
      logger: this.logger,
      options: this.options,
      defaultContext: () => this.readers.of('default').ctx,
      getJob: (id, group) => this.getJob(id, group === undefined ? {} : { group }),
      waitUntilReady: () => this.waitUntilReady(),
      isClosed: () => this.closed,
    });
    const makePart = (o: PartOptions) => new Queue<never, never>(this.name, { ...opts, connection: client, ...o });
    this.layout = new QueueLayout(this.name, this.scripts, this.options, part, makePart);
  }

  /** The group's reader; with `method`, its options are checked first. */
  private reader(opts: GroupOption | undefined, method?: string): QueueReader<Data, Result> {
    if (method) methodOptions(method, opts, NAMES.group);
    return this.readers.of(groupOf(opts));
  }

  /** A method's start: its options checked, its group named, the queue ready. */
  private async groupReady(method: string, opts: GroupOption | undefined, names: readonly string[]): Promise<string> {
    methodOptions(method, opts, names);
    const group = groupOf(opts);
    await this.waitUntilReady();
    return group;
  }

  /**
   * Resolves once the connection is checked (eviction policy) and the queue's settings from its
   * options are written. Called by every operation.
   */
  waitUntilReady(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`queue "${this.name}"`));
    this.readyPromise ??= (async () => {
      await checkEvictionPolicy(this.client, this.options.evictionMode, this.logger);
      const parts = await this.layout.resolve();
      await (parts ? parts.waitUntilReady() : writeQueueSettings(this.client, this.keys, this.options));
      if (!this.layout.isPartition) await registerQueue(this.client, this.options.prefix, this.name);
    })().catch((err: unknown) => {
      this.readyPromise = undefined;
      throw err;
    });
    return this.readyPromise;
  }

  /**
   * Adds a job. With a jobId that exists already, returns the existing job and writes nothing;
   * with a deduplication id that a job holds, returns that job. Adds made in the same tick
   * travel together in one round trip. When the queue is full (`maxLength`), waits up to
   * `opts.wait` ms for room, then rejects.
   *
   * @param name - what the job is, for your processor (any string; not unique).
   * @param data - the job's data: anything JSON can carry (at most `maxPayloadBytes`).
   * @param opts - job options ({@link JobsOptions}), plus `wait`.
   * @returns the job as added (or the existing one).
   * @throws {InvalidOptionError} an option is wrong ({@link UnknownOptionError} for a misspelt one).
   * @throws {InvalidPayloadError} the data cannot be stored as JSON.
   * @throws {PayloadTooLargeError} the data is larger than `maxPayloadBytes`.
   * @throws {QueueFullError} the queue stayed full for `wait` ms.
   * @example
   * ```ts
   * const job = await queue.add('welcome-email', { to: 'ada@example.com' }, {
   *   jobId: `welcome:${userId}`, // adding it twice adds it once
   *   attempts: 3,
   *   backoff: { type: 'exponential', delay: 2000 },
   * });
   * ```
   */
  async add(name: string, data: Data, opts?: AddOptions): Promise<Job<Data, Result>> {
    return this.writer.add(name, data, opts);
  }

  /**
   * Adds many jobs, in script calls of 250 pipelined on the connection. Validates all of them
   * before writing any. When Redis fails part-way, rejects with AddBulkError, which says which
   * jobs were added, which were not, and which are unknown (their reply was lost).
   */
  async addBulk(jobs: { name: string; data: Data; opts?: JobsOptions }[]): Promise<Job<Data, Result>[]> {
    return this.writer.addBulk(jobs);
  }

  /** A job as its group sees it (default group unless given); undefined if it has no record there. */
  async getJob(id: string, opts: GroupOption = {}): Promise<Job<Data, Result> | undefined> {
    return this.reader(opts, 'getJob').getJob(id);
  }

  /**
   * One page of a state's jobs (count: default 100, at most 1,000) and the cursor of the next
   * (null at the end): pass it back as `cursor`. Every page costs the same, however deep.
   */
  async getJobsPage(state: JobState, opts: PageOptions & GroupOption = {}): Promise<JobsPage<Data, Result>> {
    return this.reader(opts).getJobsPage(state, opts);
  }

  /** Redrives finished jobs (failed by default) in bounded batches; returns how many. */
  async retryJobs(opts: { state?: 'failed' | 'completed'; count?: number } & GroupOption = {}): Promise<number> {
    methodOptions('retryJobs', opts, NAMES.retryJobs);
    const group = groupOf(opts);
    const count = positiveInt('count', opts.count, Infinity);
    await this.waitUntilReady();
    return retryFinished(this.client, this.scripts, group, opts.state ?? 'failed', count);
  }

  /**
   * Runs delayed jobs and the group's retries waiting out a backoff now, whatever their due
   * time (Redis time: fake timers cannot move it), the earliest due first, as `job.promote()`
   * does, in bounded batches. Delayed jobs are the queue's and reach every group.
   * @returns how many jobs became waiting (at most `count`).
   * @example await queue.promoteJobs(); // in a test: run every delayed job and retry now
   */
  async promoteJobs(opts: { count?: number } & GroupOption = {}): Promise<number> {
    methodOptions('promoteJobs', opts, NAMES.promoteJobs);
    const group = groupOf(opts);
    const count = positiveInt('count', opts.count, Infinity);
    await this.waitUntilReady();
    return promoteDelayed(this.client, this.scripts, group, count);
  }

  /** Stops the group's workers in all processes from starting jobs; in-flight jobs finish. */
  async pause(opts: GroupOption = {}): Promise<void> {
    const group = await this.groupReady('pause', opts, NAMES.group);
    await this.scripts.setPaused(group, true);
  }

  /** Lets the group's workers start jobs again after pause(). */
  async resume(opts: GroupOption = {}): Promise<void> {
    const group = await this.groupReady('resume', opts, NAMES.group);
    await this.scripts.setPaused(group, false);
  }

  /** Whether the group is paused. */
  async isPaused(opts: GroupOption = {}): Promise<boolean> {
    methodOptions('isPaused', opts, NAMES.group);
    return (await this.client.exists(this.keys.group(groupOf(opts)).paused)) === 1;
  }

  /** Removes all waiting jobs of a group (and delayed ones with `delayed: true`); active jobs finish. */
  async drain(delayed = false, opts: GroupOption = {}): Promise<number> {
    if (typeof delayed !== 'boolean') throw new InvalidOptionError(`drain(delayed) takes true or false; got ${shown(delayed)}`);
    return drainGroup(this.scripts, await this.groupReady('drain', opts, NAMES.group), delayed);
  }

  /**
   * Deletes jobs of a state older than `graceMs` (Redis time: finished, or added), up to `limit`
   * (<= 0: all); returns their ids. Waiting states: waiting (wait), delayed, prioritized, paused.
   */
  async clean(graceMs: number, limit: number, state: CleanState = 'completed', opts: GroupOption = {}): Promise<string[]> {
    const group = await this.groupReady('clean', opts, NAMES.group);
    return cleanFinished(this.client, this.scripts, group, graceMs, limit, state);
  }

  /**
   * RPC over the queue (a reply-to pattern): adds a job and resolves with its return value;
   * rejects with JobFailedError when it fails for good, WaitTimeoutError after `timeout` ms
   * (default 30 s; the job then stays in the queue as any job would).
   */
  async call(name: string, data: Data, opts: { timeout?: number; opts?: JobsOptions } & GroupOption = {}): Promise<Result> {
    methodOptions('call', opts, NAMES.call);
    return this.replies.call(groupOf(opts), () => this.add(name, data, opts.opts), opts.timeout ?? 30_000);
  }

  /**
   * Sets a group's rate limit: at most `max` job starts per `duration` ms across all its
   * workers and processes; null removes it. Blocked workers pick it up at once.
   */
  async setRateLimit(limit: RateLimit | null, opts: GroupOption = {}): Promise<void> {
    methodOptions('setRateLimit', opts, NAMES.group);
    if (limit !== null) checkOptionNames('the rate limit of setRateLimit()', limit, NAMES.rateLimit);
    const checked = limit === null ? null : validateRateLimit(limit, 'rate limit');
    await this.waitUntilReady();
    const partitions = (await this.layout.resolve())?.parts.map((p) => p.keys);
    await writeRateLimit(this.client, this.keys, groupOf(opts), checked, partitions);
  }

  /** The group's rate limit, or undefined when it has none. */
  async getRateLimit(opts: GroupOption = {}): Promise<RateLimit | undefined> {
    methodOptions('getRateLimit', opts, NAMES.group);
    return readRateLimit(this.client, this.keys, groupOf(opts));
  }

  /**
   * Subscribes a consumer group: every job added from then on reaches it (fan-out), and its
   * workers compete for them. from: 'now' (default), 'start' (replay the retained history
   * first) or a time in ms (replay from then). Resolves true when created, false when it existed.
   */
  async createGroup(name: string, opts: CreateGroupOptions = {}): Promise<boolean> {
    methodOptions('createGroup', opts, NAMES.createGroup);
    await this.waitUntilReady();
    return createGroup(this.scripts, validateGroupName(name), opts, this.logger);
  }

  /** The queue's consumer groups, with where each stands in the stream. */
  async getGroups(): Promise<GroupInfo[]> {
    return getGroups(this.client, this.keys);
  }

  /**
   * Unsubscribes a group and deletes its job records, in bounded batches; other groups are not
   * touched. Refused (GroupActiveError) while its workers process jobs, unless forced.
   */
  async removeGroup(name: string, opts: { force?: boolean } = {}): Promise<void> {
    methodOptions('removeGroup', opts, NAMES.force);
    await this.waitUntilReady();
    await removeGroup(this.scripts, validateGroupName(name), opts.force === true);
  }

  /** The id of the job that holds a deduplication id now, if any. */
  async getDeduplicationJobId(dedupId: string): Promise<string | undefined> {
    validateJobOptions({ deduplication: { id: dedupId } });
    return (await this.client.get(this.keys.dedup(dedupId))) ?? undefined;
  }

  /**
   * Deletes one job; refused (JobActiveError) while a worker processes it. A job that does not
   * exist throws JobNotFoundError (job.remove() does nothing then).
   */
  async remove(id: string, opts: GroupOption = {}): Promise<void> {
    // as getJob: an id that is not a string names no job
    if (typeof id !== 'string' || id === '') throw new JobNotFoundError(shown(id));
    const group = await this.groupReady('remove', opts, NAMES.group);
    const result = await this.scripts.removeJob(group, id);
    if (result === 'active') throw new JobActiveError(id, 'remove');
    // unlike job.remove(), which does nothing for a job that no longer exists
    if (result === 'notFound') throw new JobNotFoundError(id);
  }

  /** Deletes the whole queue, in bounded batches. Refused while jobs are active unless forced. */
  async obliterate(opts: { force?: boolean } = {}): Promise<void> {
    methodOptions('obliterate', opts, NAMES.force);
    await this.waitUntilReady();
    await obliterateQueue(this.scripts, this.name, opts.force === true);
    if (!this.layout.isPartition) await unregisterQueue(this.client, this.options.prefix, this.name);
  }

  /**
   * Closes the queue's connections (a client you passed in stays open). Adds still in flight
   * finish first. Nothing of the queue keeps the process alive once it resolves. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.writer.close();
    await Promise.all([this.replies.close(), this.layout.close()]);
    await closeClient(this.client, this.owned);
  }
}
