// The producer and admin side of a queue: add jobs, read them back, and manage the queue
// (pause, drain, retry, clean, obliterate). Admin operations run in bounded batches so that a
// queue of millions never stalls Redis for other clients. It does not process jobs (Worker).
import type { Redis } from 'ioredis';
import { AddBatcher } from './add-batcher.js';
import { QueueEvents } from './queue-events.js';
import { validateSchedulerKey, type RepeatOptions } from './schedule.js';
import { getScheduler, getSchedulers, upsertScheduler, type SchedulerInfo, type SchedulerTemplate } from './schedulers.js';
import { checkEvictionPolicy, closeClient, createClient, type ConnectionInput, type EvictionPolicyMode } from './connection.js';
import { ClosedError, InvalidOptionError, JobNotFoundError, JobActiveError, QueueFullError } from './errors.js';
import { RoomWaiter } from './backpressure.js';
import { cleanFinished, drainGroup, obliterateQueue, retryFinished } from './queue-admin.js';
import { Job, type JobContext, type JobState } from './job.js';
import { QueueReader, type JobCounts, type JobsPage, type PageOptions } from './queue-reader.js';
import { readRateLimit, validateRateLimit, writeRateLimit, type RateLimit } from './rate-limit.js';
import { createGroup, getGroups, removeGroup, type CreateGroupOptions, type GroupInfo } from './groups.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { defaultLogger, type Logger } from './logger.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  positiveInt,
  validateJobName,
  validateJobOptions,
  validateGroupName,
  validateQueueName,
  encodeSchedule,
  type JobsOptions,
} from './options.js';
import { toJson } from './payload.js';
import { Scripts, type EnqueueItem } from './scripts.js';

export interface QueueOptions {
  connection: ConnectionInput;
  /** First part of every key (default "sluice"). */
  prefix?: string;
  /** Options applied to every job unless the job sets its own. */
  defaultJobOptions?: JobsOptions;
  /** Largest job data, as JSON bytes (default 512 KiB). */
  maxPayloadBytes?: number;
  /** What to do when Redis may evict keys: 'warn' (default), 'refuse', 'ignore'. */
  evictionPolicy?: EvictionPolicyMode;
  /**
   * Backpressure: most jobs waiting (in the busiest group, plus delayed ones). An add beyond it
   * rejects with QueueFullError, or with { wait: ms } waits up to that long for room. A setting
   * of the queue in Redis, for every producer of it; null removes it.
   */
  maxLength?: number | null;
  /** The capped event stream QueueEvents reads: maxLen entries (default 10,000; 0 = no events). */
  events?: { maxLen?: number };
  /**
   * How much history the job stream keeps for replay (groups created with from: 'start' or a
   * time): at most maxLen entries and none older than maxAgeMs. Entries some group has not
   * read yet are always kept. Without it, an entry goes once every group has read it.
   */
  retention?: { maxLen?: number; maxAgeMs?: number };
  logger?: Logger;
}

/** Options of add(): the job's options, and how long to wait for room in a full queue (ms, default 0). */
export type AddOptions = JobsOptions & { wait?: number };

/** Which consumer group an operation is about (default: 'default'). */
export interface GroupOption {
  group?: string;
}

/** addBulk sends chunks of this many jobs, up to BULK_WINDOW chunks in flight. */
const BULK_CHUNK = 250;
const BULK_WINDOW = 16;

export class Queue<Data = unknown, Result = unknown> {
  readonly name: string;
  readonly keys: QueueKeys;
  protected readonly client: Redis;
  private readonly owned: boolean;
  protected readonly scripts: Scripts;
  private readonly defaults: JobsOptions;
  private readonly maxPayloadBytes: number;
  private readonly logger: Logger;
  private readonly evictionMode: EvictionPolicyMode;
  private readyPromise: Promise<void> | undefined;
  private closed = false;
  private readonly contexts = new Map<string, { ctx: JobContext; reader: QueueReader<Data, Result> }>();
  private readonly retention: { keepLen: number; keepAgeMs: number } | undefined;
  private readonly maxLength: number | null | undefined;
  private roomWaiter: RoomWaiter | undefined;
  private readonly batcher: AddBatcher;
  private readonly eventsMaxLen: number | undefined;
  private readonly connection: ConnectionInput;
  private readonly prefix: string;
  private readonly callEvents = new Map<string, QueueEvents>();
  private readonly encodedDefaults: { stored: JobsOptions; text: string; schedule: string };

  constructor(name: string, opts: QueueOptions) {
    this.name = validateQueueName(name);
    if (!opts || typeof opts !== 'object') throw new InvalidOptionError('Queue options with a connection are required');
    const prefix = opts.prefix ?? 'sluice';
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new InvalidOptionError(`prefix must be 1-64 characters of letters, digits, _ . : -; got ${JSON.stringify(prefix)}`);
    this.defaults = validateJobOptions(opts.defaultJobOptions);
    if (this.defaults.jobId !== undefined) throw new InvalidOptionError('defaultJobOptions cannot set a jobId');
    this.encodedDefaults = { stored: this.defaults, text: JSON.stringify(this.defaults), schedule: encodeSchedule(this.defaults) };
    this.maxPayloadBytes = positiveInt('maxPayloadBytes', opts.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES);
    this.evictionMode = opts.evictionPolicy ?? 'warn';
    if (opts.events?.maxLen !== undefined) this.eventsMaxLen = positiveInt('events.maxLen', opts.events.maxLen, 10_000, 0);
    this.connection = opts.connection;
    this.prefix = prefix;
    this.logger = (opts.logger ?? defaultLogger()).child({ queue: this.name });
    this.keys = queueKeys(prefix, this.name);
    const { client, owned } = createClient(opts.connection, 'producer');
    this.client = client;
    this.owned = owned;
    // errors reach callers through rejected promises; the event would only be noise
    if (owned) client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    this.scripts = new Scripts(client, this.keys);
    this.batcher = new AddBatcher((items) => this.scripts.enqueue(items), BULK_CHUNK);
    if (opts.maxLength === null) this.maxLength = null;
    else if (opts.maxLength !== undefined) this.maxLength = positiveInt('maxLength', opts.maxLength, 0, 1);
    if (opts.retention !== undefined) {
      if (typeof opts.retention !== 'object' || opts.retention === null) throw new InvalidOptionError('retention must be { maxLen?, maxAgeMs? }');
      this.retention = {
        keepLen: opts.retention.maxLen === undefined ? -1 : positiveInt('retention.maxLen', opts.retention.maxLen, 0, 0),
        keepAgeMs: opts.retention.maxAgeMs === undefined ? -1 : positiveInt('retention.maxAgeMs', opts.retention.maxAgeMs, 0, 0),
      };
      if (this.retention.keepAgeMs > 10 * 365 * 86_400_000) throw new InvalidOptionError('retention.maxAgeMs must be at most 10 years; leave it out to keep history by maxLen only');
    }
  }

  /** The job context (and reader) of a group, made once per group. */
  private group(opts: GroupOption | undefined): { ctx: JobContext; reader: QueueReader<Data, Result> } {
    const group = opts?.group === undefined ? 'default' : validateGroupName(opts.group);
    let entry = this.contexts.get(group);
    if (!entry) {
      const ctx: JobContext = { client: this.client, scripts: this.scripts, queueName: this.name, group, maxPayloadBytes: this.maxPayloadBytes };
      entry = { ctx, reader: new QueueReader<Data, Result>(ctx) };
      this.contexts.set(group, entry);
    }
    return entry;
  }

  private reader(opts: GroupOption | undefined): QueueReader<Data, Result> {
    return this.group(opts).reader;
  }

  private groupName(opts: GroupOption | undefined): string {
    return this.group(opts).ctx.group;
  }

  /** Resolves once the connection is checked (eviction policy). Called by every operation. */
  waitUntilReady(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`queue "${this.name}"`));
    this.readyPromise ??= (async () => {
      await checkEvictionPolicy(this.client, this.evictionMode, this.logger);
      // a setting of the queue, read by the scripts that write events
      if (this.eventsMaxLen !== undefined) await this.client.hset(this.keys.meta, 'eventsMaxLen', this.eventsMaxLen);
      if (this.retention) await this.client.hset(this.keys.meta, 'keepLen', this.retention.keepLen, 'keepAgeMs', this.retention.keepAgeMs);
      if (this.maxLength === null) await this.client.hdel(this.keys.meta, 'maxLength');
      else if (this.maxLength !== undefined) await this.client.hset(this.keys.meta, 'maxLength', this.maxLength);
    })().catch((err: unknown) => {
      this.readyPromise = undefined;
      throw err;
    });
    return this.readyPromise;
  }

  private encode(name: string, data: Data, opts: JobsOptions | undefined): EnqueueItem & { stored: JobsOptions; value: Data } {
    validateJobName(name);
    const json = toJson(data, 'job data', this.maxPayloadBytes);
    if (opts === undefined) {
      // the common case: only the queue's defaults, encoded once
      const { stored, text, schedule } = this.encodedDefaults;
      return { stored, value: data, id: '', name, data: json, opts: text, schedule };
    }
    const merged = { ...this.defaults, ...validateJobOptions(opts) };
    if (merged.lifo && merged.priority !== undefined) throw new InvalidOptionError('lifo and priority cannot be combined: a prioritised job runs by its priority');
    const { jobId, ...stored } = merged;
    return { stored, value: data, id: jobId ?? '', name, data: json, opts: JSON.stringify(stored), schedule: encodeSchedule(merged) };
  }

  private toJob(item: ReturnType<Queue<Data, Result>['encode']>, id: string, now: number): Job<Data, Result> {
    return Job.fromAdded<Data, Result>(this.group(undefined).ctx, id, item.name, item.value, item.stored, now);
  }

  /**
   * Adds a job. With a jobId that exists already, returns the existing job and writes nothing.
   * Adds made in the same tick travel together in one round trip.
   */
  async add(name: string, data: Data, opts?: AddOptions): Promise<Job<Data, Result>> {
    let jobOpts: JobsOptions | undefined = opts;
    let waitMs = 0;
    if (typeof opts === 'object' && opts !== null && 'wait' in opts) {
      const { wait, ...rest } = opts;
      waitMs = positiveInt('wait', wait, 0, 0);
      jobOpts = rest;
    }
    const item = this.encode(name, data, jobOpts);
    await this.waitUntilReady();
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { now, id, status } = await this.batcher.add(item);
      if (status === 3) {
        // the queue is full (maxLength): wait for workers to make room, or give up
        const left = deadline - Date.now();
        if (left <= 0) throw new QueueFullError(this.name, await this.storedMaxLength(), waitMs || undefined);
        if (this.closed) throw new ClosedError(`queue "${this.name}"`);
        this.roomWaiter ??= new RoomWaiter(this.connection, this.keys, this.logger);
        await this.roomWaiter.wait(id, left);
        continue;
      }
      // not added (the id exists, or a job holds the deduplication id): return that job
      if (status !== 1) return (await this.existingJob(id)) ?? this.toJob(item, id, now);
      return this.toJob(item, id, now);
    }
  }

  /** Adds many jobs, up to 1,000 per round trip. Validates all of them before writing any. */
  async addBulk(jobs: { name: string; data: Data; opts?: JobsOptions }[]): Promise<Job<Data, Result>[]> {
    if (!Array.isArray(jobs)) throw new InvalidOptionError('addBulk takes an array of { name, data, opts? }');
    const items = jobs.map((j) => this.encode(j.name, j.data, j.opts));
    await this.waitUntilReady();
    // chunks travel pipelined on the one connection (in order): Redis runs one while the next
    // is encoded and sent; a window bounds how much is in flight for a very large bulk
    const chunks: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += BULK_CHUNK) chunks.push(items.slice(i, i + BULK_CHUNK));
    const out: Job<Data, Result>[] = [];
    for (let w = 0; w < chunks.length; w += BULK_WINDOW) {
      const window = chunks.slice(w, w + BULK_WINDOW);
      const replies = await Promise.all(window.map((chunk) => this.scripts.enqueue(chunk)));
      let refused = 0;
      replies.forEach(({ now, jobs: results }, c) =>
        results.forEach((r, n) => (r.status === 3 ? refused++ : out.push(this.toJob(window[c]![n]!, r.id, now)))),
      );
      // backpressure: the jobs that fitted are added; the rest is refused
      if (refused > 0) throw new QueueFullError(this.name, await this.storedMaxLength(), undefined, out);
    }
    return out;
  }

  /** The queue's maxLength as Redis holds it (set by any Queue of it), for QueueFullError. */
  private async storedMaxLength(): Promise<number> {
    return this.maxLength ?? Number((await this.client.hget(this.keys.meta, 'maxLength').catch(() => null)) ?? 0);
  }

  /** The job that holds an id: the default group's record, or else the first group's that has one. */
  private async existingJob(id: string): Promise<Job<Data, Result> | undefined> {
    const own = await this.getJob(id);
    if (own) return own;
    for (const group of await this.client.smembers(this.keys.groups)) {
      const job = group === 'default' ? undefined : await this.getJob(id, { group });
      if (job) return job;
    }
    return undefined;
  }

  /** A job as its group sees it (default group unless given); undefined if it has no record there. */
  async getJob(id: string, opts: GroupOption = {}): Promise<Job<Data, Result> | undefined> {
    return this.reader(opts).getJob(id);
  }

  /** Ids of jobs in a state, in the order they will run (waiting) or newest first (finished). */
  async getJobIds(state: JobState, start = 0, end = -1, opts: GroupOption = {}): Promise<string[]> {
    return this.reader(opts).getJobIds(state, start, end);
  }

  async getJobs(state: JobState, start = 0, end = -1, opts: GroupOption = {}): Promise<Job<Data, Result>[]> {
    return this.reader(opts).getJobs(state, start, end);
  }

  /**
   * One page of a state's jobs (count: default 100, at most 1,000) and the cursor of the next
   * (null at the end): pass it back as `cursor`. Every page costs the same, however deep.
   */
  async getJobsPage(state: JobState, opts: PageOptions & GroupOption = {}): Promise<JobsPage<Data, Result>> {
    return this.reader(opts).getJobsPage(state, opts);
  }

  /** Counts of one group's jobs by state (the default group unless given). */
  async getJobCounts(opts: GroupOption = {}): Promise<JobCounts> {
    return this.reader(opts).getJobCounts();
  }

  /** Redrives finished jobs (failed by default) in bounded batches; returns how many. */
  async retryJobs(opts: { state?: 'failed' | 'completed'; count?: number } & GroupOption = {}): Promise<number> {
    const group = this.groupName(opts);
    await this.waitUntilReady();
    return retryFinished(this.client, this.scripts, group, opts.state ?? 'failed', opts.count);
  }


  /** Stops the group's workers in all processes from starting jobs; in-flight jobs finish. */
  async pause(opts: GroupOption = {}): Promise<void> {
    const group = this.groupName(opts);
    await this.waitUntilReady();
    await this.scripts.setPaused(group, true);
  }

  async resume(opts: GroupOption = {}): Promise<void> {
    const group = this.groupName(opts);
    await this.waitUntilReady();
    await this.scripts.setPaused(group, false);
  }

  async isPaused(opts: GroupOption = {}): Promise<boolean> {
    return (await this.client.exists(this.keys.group(this.groupName(opts)).paused)) === 1;
  }

  /** Removes all waiting jobs of a group (and delayed ones with `delayed: true`); active jobs finish. */
  async drain(delayed = false, opts: GroupOption = {}): Promise<number> {
    const group = this.groupName(opts);
    await this.waitUntilReady();
    return drainGroup(this.scripts, group, delayed);
  }


  /** Deletes finished jobs older than `graceMs` (Redis time), up to `limit`; returns their ids. */
  async clean(graceMs: number, limit: number, state: 'completed' | 'failed' = 'completed', opts: GroupOption = {}): Promise<string[]> {
    const group = this.groupName(opts);
    await this.waitUntilReady();
    return cleanFinished(this.client, this.scripts, group, graceMs, limit, state);
  }


  /**
   * Creates or updates a repeating job: a cron pattern (with time zone) or every N ms. Upsert
   * by key is idempotent; a changed repeat replaces the next slot. Each slot makes one job, with
   * id repeat:<key>:<slot>, fired by whichever worker is awake.
   */
  async upsertScheduler(key: string, repeat: RepeatOptions, template: SchedulerTemplate<Data>): Promise<SchedulerInfo<Data>> {
    await this.waitUntilReady();
    return upsertScheduler(this.client, this.scripts, key, repeat, template, this.maxPayloadBytes);
  }

  /** Deletes a scheduler (jobs it made stay); true if it existed. */
  async removeScheduler(key: string): Promise<boolean> {
    await this.waitUntilReady();
    return this.scripts.removeScheduler(validateSchedulerKey(key));
  }

  async getScheduler(key: string): Promise<SchedulerInfo<Data> | undefined> {
    return getScheduler<Data>(this.client, this.keys, validateSchedulerKey(key));
  }

  /** The schedulers that still have slots ahead, soonest first. */
  async getSchedulers(): Promise<SchedulerInfo<Data>[]> {
    return getSchedulers<Data>(this.client, this.keys);
  }

  /**
   * RPC over the queue (a reply-to pattern): adds a job and resolves with its return value;
   * rejects with JobFailedError when it fails for good, WaitTimeoutError after `timeout` ms
   * (default 30 s; the job then stays in the queue as any job would).
   */
  async call(name: string, data: Data, opts: { timeout?: number; opts?: JobsOptions } & GroupOption = {}): Promise<Result> {
    const group = this.groupName(opts);
    let events = this.callEvents.get(group);
    if (!events) {
      events = new QueueEvents(this.name, { connection: this.connection, prefix: this.prefix, logger: this.logger, group });
      this.callEvents.set(group, events);
    }
    await events.waitUntilReady();
    const job = await this.add(name, data, opts.opts);
    return job.waitUntilFinished(events, opts.timeout ?? 30_000);
  }

  /**
   * Sets a group's rate limit: at most `max` job starts per `duration` ms across all its
   * workers and processes; null removes it. Blocked workers pick it up at once.
   */
  async setRateLimit(limit: RateLimit | null, opts: GroupOption = {}): Promise<void> {
    const group = this.groupName(opts);
    const checked = limit === null ? null : validateRateLimit(limit, 'rate limit');
    await this.waitUntilReady();
    await writeRateLimit(this.client, this.keys, group, checked);
  }

  async getRateLimit(opts: GroupOption = {}): Promise<RateLimit | undefined> {
    return readRateLimit(this.client, this.keys, this.groupName(opts));
  }

  /**
   * Subscribes a consumer group: every job added from then on reaches it (fan-out), and its
   * workers compete for them. from: 'now' (default), 'start' (replay the retained history
   * first) or a time in ms (replay from then). Resolves true when created, false when it existed.
   */
  async createGroup(name: string, opts: CreateGroupOptions = {}): Promise<boolean> {
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
    await this.waitUntilReady();
    await removeGroup(this.scripts, validateGroupName(name), opts.force === true);
  }

  /** The id of the job that holds a deduplication id now, if any. */
  async getDeduplicationJobId(dedupId: string): Promise<string | undefined> {
    return (await this.client.get(this.keys.dedup(dedupId))) ?? undefined;
  }

  /** Deletes one job; refused (JobActiveError) while a worker processes it. */
  async remove(id: string, opts: GroupOption = {}): Promise<void> {
    const group = this.groupName(opts);
    await this.waitUntilReady();
    const result = await this.scripts.removeJob(group, id);
    if (result === -1) throw new JobActiveError(id, 'remove');
    if (result === 0) throw new JobNotFoundError(id);
  }

  /** Deletes the whole queue, in bounded batches. Refused while jobs are active unless forced. */
  async obliterate(opts: { force?: boolean } = {}): Promise<void> {
    await this.waitUntilReady();
    await obliterateQueue(this.scripts, this.name, opts.force === true);
  }


  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.roomWaiter?.close();
    await Promise.all([...this.callEvents.values()].map((e) => e.close()));
    await closeClient(this.client, this.owned);
  }
}
