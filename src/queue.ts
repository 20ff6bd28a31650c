// The producer and admin side of a queue: add jobs, read them back, and manage the queue
// (pause, drain, retry, clean, obliterate). Admin operations run in bounded batches so that a
// queue of millions never stalls Redis for other clients. It does not process jobs (Worker).
import type { Redis } from 'ioredis';
import { AddBatcher } from './add-batcher.js';
import { QueueEvents } from './queue-events.js';
import { validateSchedulerKey, type RepeatOptions } from './schedule.js';
import { getScheduler, getSchedulers, upsertScheduler, type SchedulerInfo, type SchedulerTemplate } from './schedulers.js';
import { checkEvictionPolicy, closeClient, createClient, redisNow, type ConnectionInput, type EvictionPolicyMode } from './connection.js';
import { ClosedError, InvalidOptionError, JobNotFoundError, JobActiveError, ObliterateRefusedError } from './errors.js';
import { Job, type JobContext, type JobState } from './job.js';
import { queueKeys, type QueueKeys } from './keys.js';
import { defaultLogger, type Logger } from './logger.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  positiveInt,
  validateJobName,
  validateJobOptions,
  validateQueueName,
  encodeSchedule,
  type JobsOptions,
} from './options.js';
import { toJson } from './payload.js';
import { Scripts, type EnqueueItem } from './scripts.js';
import { carriedJobHash, findWaitingEntry, groupCursor } from './stream-entries.js';

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
  /** The capped event stream QueueEvents reads: maxLen entries (default 10,000; 0 = no events). */
  events?: { maxLen?: number };
  logger?: Logger;
}

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: boolean;
}

const ADMIN_BATCH = 500;
const MAX_BULK = 1000;
/** addBulk sends chunks of this many jobs, up to BULK_WINDOW chunks in flight. */
const BULK_CHUNK = 250;
const BULK_WINDOW = 16;
const GROUP = 'default';

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
  private readonly ctx: JobContext;
  private readonly batcher: AddBatcher;
  private readonly eventsMaxLen: number | undefined;
  private readonly connection: ConnectionInput;
  private readonly prefix: string;
  private callEvents: QueueEvents | undefined;
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
    this.ctx = { client, scripts: this.scripts, queueName: this.name, group: GROUP, maxPayloadBytes: this.maxPayloadBytes };
  }

  /** Resolves once the connection is checked (eviction policy). Called by every operation. */
  waitUntilReady(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`queue "${this.name}"`));
    this.readyPromise ??= (async () => {
      await checkEvictionPolicy(this.client, this.evictionMode, this.logger);
      // a setting of the queue, read by the scripts that write events
      if (this.eventsMaxLen !== undefined) await this.client.hset(this.keys.meta, 'eventsMaxLen', this.eventsMaxLen);
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
    return Job.fromAdded<Data, Result>(this.ctx, id, item.name, item.value, item.stored, now);
  }

  /**
   * Adds a job. With a jobId that exists already, returns the existing job and writes nothing.
   * Adds made in the same tick travel together in one round trip.
   */
  async add(name: string, data: Data, opts?: JobsOptions): Promise<Job<Data, Result>> {
    const item = this.encode(name, data, opts);
    await this.waitUntilReady();
    const { now, id, status } = await this.batcher.add(item);
    // not added (the id exists, or a job holds the deduplication id): return that job
    if (status !== 1) return (await this.getJob(id)) ?? this.toJob(item, id, now);
    return this.toJob(item, id, now);
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
      replies.forEach(({ now, jobs: results }, c) => results.forEach((r, n) => out.push(this.toJob(window[c]![n]!, r.id, now))));
    }
    return out;
  }

  async getJob(id: string): Promise<Job<Data, Result> | undefined> {
    if (typeof id !== 'string' || id === '') return undefined;
    const hash = await this.client.hgetall(this.keys.job(id));
    if (hash && Object.keys(hash).length > 0) return Job.fromHash<Data, Result>(this.ctx, id, hash);
    // a plain job that no worker has leased yet lives in its stream entry only
    const waiting = await findWaitingEntry(this.client, this.keys, GROUP, id);
    return waiting && Job.fromHash<Data, Result>(this.ctx, id, waiting);
  }

  private async jobsByIds(ids: string[]): Promise<Job<Data, Result>[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.job(id));
    const replies = (await pipeline.exec()) ?? [];
    const jobs: Job<Data, Result>[] = [];
    replies.forEach(([err, hash], i) => {
      if (!err && hash && Object.keys(hash as object).length > 0) jobs.push(Job.fromHash(this.ctx, ids[i]!, hash as Record<string, string>));
    });
    return jobs;
  }

  /** Ids of jobs in a state, in the order they will run (waiting) or newest first (finished). */
  async getJobIds(state: JobState, start = 0, end = -1): Promise<string[]> {
    const g = this.keys.group(GROUP);
    const stop = end < 0 ? Number.MAX_SAFE_INTEGER : end;
    const want = stop - start + 1;
    switch (state) {
      case 'completed':
      case 'failed':
        return this.client.zrevrange(g[state], String(start), String(end));
      case 'active':
        return this.client.zrange(g.active, String(start), String(end));
      case 'delayed': {
        const [a, b] = await Promise.all([
          this.client.zrange(this.keys.delayed, '0', String(end < 0 ? -1 : end), 'WITHSCORES'),
          this.client.zrange(g.retry, '0', String(end < 0 ? -1 : end), 'WITHSCORES'),
        ]);
        const all: [string, number][] = [];
        for (const list of [a.flat(), b.flat()] as string[][]) for (let i = 0; i < list.length; i += 2) all.push([list[i]!, Number(list[i + 1])]);
        all.sort((x, y) => x[1] - y[1]);
        return all.slice(start, stop + 1).map((x) => x[0]);
      }
      case 'waiting':
        return (await this.waitingJobs(start, end)).map((w) => w.id);
      default:
        throw new InvalidOptionError(`unknown state "${String(state)}"; use waiting, active, delayed, completed or failed`);
    }
  }

  /** Waiting jobs in the order they will be leased: redeliveries, the stream, then priorities. */
  private async waitingJobs(start: number, end: number): Promise<{ id: string; carried?: Record<string, string> }[]> {
    const g = this.keys.group(GROUP);
    const stop = end < 0 ? Number.MAX_SAFE_INTEGER : end;
    const out: { id: string; carried?: Record<string, string> }[] = (await this.client.lrange(g.wait, '0', String(end < 0 ? -1 : end))).map((id) => ({ id }));
    if (out.length < stop + 1) {
      const { lastDeliveredId } = await groupCursor(this.client, this.keys, GROUP);
      const count = Math.min(stop + 1 - out.length, 100_000);
      const entries = (await this.client.xrange(this.keys.stream, `(${lastDeliveredId}`, '+', 'COUNT', count)) as [string, string[]][];
      for (const [entryId, fields] of entries) {
        if (fields[0] === 'j' && fields[1] !== undefined) out.push({ id: fields[1] });
        else {
          const carried = carriedJobHash(entryId, fields);
          if (carried) out.push({ id: entryId, carried });
        }
      }
    }
    if (out.length < stop + 1) out.push(...(await this.client.zrange(g.prio, '0', String(end < 0 ? -1 : end))).map((id) => ({ id })));
    return out.slice(start, stop + 1);
  }

  async getJobs(state: JobState, start = 0, end = -1): Promise<Job<Data, Result>[]> {
    if (state !== 'waiting') return this.jobsByIds(await this.getJobIds(state, start, end));
    const waiting = await this.waitingJobs(start, end);
    const recorded = await this.jobsByIds(waiting.filter((w) => !w.carried).map((w) => w.id));
    const byId = new Map(recorded.map((j) => [j.id, j]));
    const jobs: Job<Data, Result>[] = [];
    for (const w of waiting) {
      const job = w.carried ? Job.fromHash<Data, Result>(this.ctx, w.id, w.carried) : byId.get(w.id);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async getJobCounts(): Promise<JobCounts> {
    const g = this.keys.group(GROUP);
    const [cursor, replies] = await Promise.all([
      groupCursor(this.client, this.keys, GROUP),
      this.client
        .pipeline()
        .llen(g.wait)
        .zcard(g.prio)
        .zcard(g.active)
        .zcard(this.keys.delayed)
        .zcard(g.retry)
        .zcard(g.completed)
        .zcard(g.failed)
        .exists(g.paused)
        .xlen(this.keys.stream)
        .exec(),
    ]);
    const n = (replies ?? []).map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    let inStream = cursor.lag;
    if (inStream === null) {
      // unknown before the group exists (then the whole stream waits), or after an entry past
      // the cursor was deleted: then the length less the entries already read (kept until
      // the next trim, normally fewer than a stream node)
      const read = cursor.exists ? ((await this.client.xrange(this.keys.stream, '-', cursor.lastDeliveredId, 'COUNT', 1000)) as unknown[]).length : 0;
      inStream = Math.max(0, n[8]! - read);
    }
    return {
      waiting: n[0]! + n[1]! + inStream,
      active: n[2]!,
      delayed: n[3]! + n[4]!,
      completed: n[5]!,
      failed: n[6]!,
      paused: n[7]! === 1,
    };
  }

  /** Redrives finished jobs (failed by default) in bounded batches; returns how many. */
  async retryJobs(opts: { state?: 'failed' | 'completed'; count?: number } = {}): Promise<number> {
    const state = opts.state ?? 'failed';
    if (state !== 'failed' && state !== 'completed') throw new InvalidOptionError(`retryJobs state must be "failed" or "completed"`);
    await this.waitUntilReady();
    const before = await redisNow(this.client);
    let total = 0;
    const limit = opts.count ?? Infinity;
    for (;;) {
      const moved = await this.scripts.retryJobs(GROUP, state, before, Math.min(ADMIN_BATCH, limit - total));
      total += moved;
      if (moved === 0 || total >= limit) return total;
    }
  }

  /** Stops all workers of all processes from starting jobs; in-flight jobs finish. */
  async pause(): Promise<void> {
    await this.waitUntilReady();
    await this.scripts.setPaused(GROUP, true);
  }

  async resume(): Promise<void> {
    await this.waitUntilReady();
    await this.scripts.setPaused(GROUP, false);
  }

  async isPaused(): Promise<boolean> {
    return (await this.client.exists(this.keys.group(GROUP).paused)) === 1;
  }

  /** Removes all waiting jobs (and delayed ones with `delayed: true`); active jobs finish. */
  async drain(delayed = false): Promise<number> {
    await this.waitUntilReady();
    let total = 0;
    for (;;) {
      const { removed, processed } = await this.scripts.drain(GROUP, ADMIN_BATCH, delayed);
      total += removed;
      if (processed < ADMIN_BATCH) return total;
    }
  }

  /** Deletes finished jobs older than `graceMs` (Redis time), up to `limit`; returns their ids. */
  async clean(graceMs: number, limit: number, state: 'completed' | 'failed' = 'completed'): Promise<string[]> {
    if (!Number.isFinite(graceMs) || graceMs < 0) throw new InvalidOptionError('clean: graceMs must be a number >= 0');
    if (state !== 'completed' && state !== 'failed') throw new InvalidOptionError('clean: state must be "completed" or "failed"');
    await this.waitUntilReady();
    const before = (await redisNow(this.client)) - graceMs;
    const ids: string[] = [];
    const max = limit > 0 ? limit : Infinity;
    for (;;) {
      const batch = Math.min(ADMIN_BATCH, max - ids.length);
      const removed = await this.scripts.clean(GROUP, state, before, batch);
      ids.push(...removed);
      if (removed.length < batch || ids.length >= max) return ids;
    }
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
  async call(name: string, data: Data, opts: { timeout?: number; opts?: JobsOptions } = {}): Promise<Result> {
    this.callEvents ??= new QueueEvents(this.name, { connection: this.connection, prefix: this.prefix, logger: this.logger });
    await this.callEvents.waitUntilReady();
    const job = await this.add(name, data, opts.opts);
    return job.waitUntilFinished(this.callEvents, opts.timeout ?? 30_000);
  }

  /** The id of the job that holds a deduplication id now, if any. */
  async getDeduplicationJobId(dedupId: string): Promise<string | undefined> {
    return (await this.client.get(this.keys.dedup(dedupId))) ?? undefined;
  }

  /** Deletes one job; refused (JobActiveError) while a worker processes it. */
  async remove(id: string): Promise<void> {
    await this.waitUntilReady();
    const result = await this.scripts.removeJob(GROUP, id);
    if (result === -1) throw new JobActiveError(id, 'remove');
    if (result === 0) throw new JobNotFoundError(id);
  }

  /** Deletes the whole queue, in bounded batches. Refused while jobs are active unless forced. */
  async obliterate(opts: { force?: boolean } = {}): Promise<void> {
    await this.waitUntilReady();
    await this.scripts.setPaused(GROUP, true);
    for (;;) {
      const result = await this.scripts.obliterate(ADMIN_BATCH, opts.force === true);
      if (result === -1) {
        await this.scripts.setPaused(GROUP, false);
        throw new ObliterateRefusedError(this.name);
      }
      if (result === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.callEvents?.close();
    await closeClient(this.client, this.owned);
  }
}
