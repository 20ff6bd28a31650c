// Adding jobs, for the Queue: a new job's encoding (validation, the queue's defaults, its
// placement), same-tick batching of add() and the chunked pipeline of addBulk(), waiting for
// room under maxLength, and the Job objects handed back. It does not read or manage jobs
// (queue-reader.ts, queue-admin.ts) and does not decide what Redis does (lua/enqueue.lua).
import type { Redis } from 'ioredis';
import { AddBulkError, ClosedError, InvalidOptionError, QueueFullError, SluiceError } from '../errors.js';
import { RoomWaiter } from '../flow-control/room-waiter.js';
import { Job } from '../job/job.js';
import type { JobContext } from '../job/job-context.js';
import { encodeSchedule, optionsJson, validateJobOptions, type JobsOptions } from '../job/job-options.js';
import { checkOptionNames, positiveInt, validateJobName } from '../validate.js';
import { toJson } from '../job/payload.js';
import type { Logger } from '../logger.js';
import type { ConnectionInput } from '../redis/connection.js';
import { durably } from '../redis/durability.js';
import { MetaField, type QueueKeys } from '../redis/keys.js';
import { sendProbe, wrapRedisError } from '../redis/redis-errors.js';
import { sendAgainIfEnded } from '../redis/revival.js';
import type { EnqueueItem, Scripts } from '../redis/scripts.js';
import { isStreamId } from '../redis/streams.js';
import { AddBatcher, sendInChunks } from './add-batcher.js';
import { otelLoading } from '../telemetry/otel-api.js';
import { startPublish } from '../telemetry/producer-spans.js';
import { METHOD_OPTION_NAMES as NAMES, methodOptions, type AddOptions, type ResolvedQueueOptions } from './queue-options.js';

/** addBulk sends chunks of this many jobs, up to BULK_WINDOW chunks in flight. */
const BULK_CHUNK = 250;
const BULK_WINDOW = 16;

/** A new job, encoded for the enqueue script, with what the returned Job is made from. */
export type NewJob<Data> = EnqueueItem & { stored: JobsOptions; value: Data };

/** What the writer needs of its Queue. */
export interface JobWriterDeps<Data, Result> {
  name: string;
  client: Redis;
  scripts: Scripts;
  keys: QueueKeys;
  connection: ConnectionInput;
  logger: Logger;
  options: ResolvedQueueOptions;
  /** The default group's job context (the Job objects add() returns belong to it). */
  defaultContext(): JobContext;
  /** The queue's own getJob, by group. */
  getJob(id: string, group?: string): Promise<Job<Data, Result> | undefined>;
  waitUntilReady(): Promise<void>;
  isClosed(): boolean;
}

export class JobWriter<Data, Result> {
  private readonly batcher: AddBatcher;
  private roomWaiter: RoomWaiter | undefined;

  constructor(private readonly deps: JobWriterDeps<Data, Result>) {
    this.batcher = new AddBatcher(
      (items) => this.enqueue(items),
      BULK_CHUNK,
      (err) => wrapRedisError(err, deps.client),
    );
    this.tracingLoad = otelLoading(deps.options.telemetry);
  }

  /**
   * While the OpenTelemetry API loads (once per process, started by the first JobWriter), every
   * add waits for it, in call order; afterwards adds go straight on. So adds are sent in the
   * order they were called whether or not they were traced.
   */
  private tracingLoad: Promise<unknown> | undefined;
  private waitingForTracing = 0;

  /** Resolves when this add may go on: at once, or after the adds called before it (see tracingLoad). */
  private async tracingTurn(): Promise<void> {
    this.waitingForTracing++;
    await this.tracingLoad;
    // the last of the adds that waited: from now on adds need not wait
    if (--this.waitingForTracing === 0) this.tracingLoad = undefined;
  }

  /** add(): one job, in a publish span when tracing (telemetry/producer-spans.ts). */
  async add(name: string, data: Data, opts: AddOptions | undefined): Promise<Job<Data, Result>> {
    if (this.tracingLoad) await this.tracingTurn();
    const span = startPublish(this.deps.options.telemetry, this.deps.name, 1);
    if (!span) return this.addOne(name, data, opts);
    return span.around(
      () => this.addOne(name, data, span.inject(opts)),
      (job) => [job.id],
    );
  }

  /** addBulk(): every job in one publish span when tracing, each carrying its context. */
  async addBulk(jobs: { name: string; data: Data; opts?: JobsOptions }[]): Promise<Job<Data, Result>[]> {
    if (!Array.isArray(jobs)) return this.addMany(jobs); // refused there
    if (this.tracingLoad) await this.tracingTurn();
    const span = startPublish(this.deps.options.telemetry, this.deps.name, jobs.length);
    if (!span) return this.addMany(jobs);
    const carrying = jobs.map((j) => (typeof j === 'object' && j !== null ? { ...j, opts: span.inject(j.opts) } : j));
    return span.around(
      () => this.addMany(carrying),
      (added) => added.map((job) => job.id),
    );
  }

  /** One job, batched with the other adds of this tick; waits up to `opts.wait` ms for room. */
  private async addOne(name: string, data: Data, opts: AddOptions | undefined): Promise<Job<Data, Result>> {
    methodOptions('add', opts, NAMES.add);
    let jobOpts: JobsOptions | undefined = opts;
    let waitMs = 0;
    if (typeof opts === 'object' && opts !== null && 'wait' in opts) {
      const { wait, ...rest } = opts;
      waitMs = positiveInt('wait', wait, 0, 0);
      jobOpts = rest;
    }
    const item = this.encode(name, data, jobOpts);
    await this.deps.waitUntilReady();
    const deadline = Date.now() + waitMs;
    for (;;) {
      const { now, id, status } = await this.batcher.add(item);
      if (status === 'full') {
        // the queue is full (maxLength): wait for workers to make room, or give up
        const left = deadline - Date.now();
        if (left <= 0) throw new QueueFullError(this.deps.name, await this.storedMaxLength(), waitMs || undefined);
        if (this.deps.isClosed()) throw new ClosedError(`queue "${this.deps.name}"`);
        this.roomWaiter ??= new RoomWaiter(this.deps.connection, this.deps.keys, this.deps.logger);
        await this.roomWaiter.wait(id, left);
        continue;
      }
      // not added (the id exists, or a job holds the deduplication id, maybe replaced): return that job
      if (status !== 'added') return (await this.existing(id)) ?? this.toJob(item, id, now);
      return this.toJob(item, id, now);
    }
  }

  /** Every job validated first, then chunks pipelined; AddBulkError says what landed. */
  private async addMany(jobs: { name: string; data: Data; opts?: JobsOptions }[]): Promise<Job<Data, Result>[]> {
    if (!Array.isArray(jobs)) throw new InvalidOptionError('addBulk takes an array of { name, data, opts? }');
    const items = jobs.map((j, i) => {
      checkOptionNames(`addBulk's job ${i}`, j ?? null, NAMES.bulkJob);
      return this.encode(j.name, j.data, j.opts);
    });
    const all = items.map((_, i) => i);
    try {
      await this.deps.waitUntilReady();
    } catch (err) {
      // not ready: nothing was sent (a Redis failure says so per job; others are thrown as they are)
      const typed = wrapRedisError(err, this.deps.client);
      if (!(typed instanceof SluiceError) || !typed.code.startsWith('REDIS_')) throw err;
      throw new AddBulkError(items.length, [], all, [], typed);
    }
    const outcome = await sendInChunks(
      items,
      (chunk) => this.enqueue(chunk),
      BULK_CHUNK,
      BULK_WINDOW,
      (i, id, now) => this.toJob(items[i]!, id, now),
      () => sendProbe(this.deps.client),
    );
    if (outcome.failed) {
      throw new AddBulkError(
        items.length,
        outcome.added,
        outcome.notAdded,
        outcome.unknown,
        wrapRedisError(outcome.failure, this.deps.client),
      );
    }
    // backpressure: the jobs that fitted are added; the rest is refused
    if (outcome.notAdded.length > 0) {
      throw new QueueFullError(this.deps.name, await this.storedMaxLength(), undefined, outcome.added, outcome.notAdded);
    }
    return outcome.added;
  }

  /**
   * One enqueue call; in durable mode followed by its WAIT (one per call, however many adds the
   * batch carries: redis/durability.ts). A WAIT that fails leaves the jobs written
   * (ReplicationTimeoutError): addBulk reports them as unknown, since a failover may lose them.
   */
  private enqueue(items: EnqueueItem[]): ReturnType<Scripts['enqueue']> {
    const { client, options, scripts, keys } = this.deps;
    // a Sentinel client ioredis ended in a failover rejected it unsent: sent again once connected
    const send = () => durably(client, options.durability, () => scripts.enqueue(items), keys.stream);
    return sendAgainIfEnded(client, send, () => this.deps.isClosed());
  }

  /** Stops waiting for room (the Queue is closing). */
  close(): void {
    this.roomWaiter?.close();
  }

  /** A new job validated and encoded with the queue's defaults (also for flows: src/flow/flow-plan.ts). */
  encode(name: string, data: Data, opts: JobsOptions | undefined): NewJob<Data> {
    validateJobName(name);
    const { defaults, encodedDefaults, maxPayloadBytes } = this.deps.options;
    const json = toJson(data, 'job data', maxPayloadBytes);
    if (opts === undefined) {
      // the common case: only the queue's defaults, encoded once
      const { stored, text, schedule } = encodedDefaults;
      return { stored, value: data, id: '', name, data: json, opts: text, schedule };
    }
    const merged = { ...defaults, ...validateJobOptions(opts) };
    if (merged.lifo && merged.priority !== undefined) {
      throw new InvalidOptionError('lifo and priority cannot be combined: a prioritised job runs by its priority');
    }
    const { jobId, ...stored } = merged;
    return { stored, value: data, id: jobId ?? '', name, data: json, opts: optionsJson(stored), schedule: encodeSchedule(merged) };
  }

  /** The Job object of an added job. */
  toJob(item: NewJob<Data>, id: string, now: number): Job<Data, Result> {
    // a plain job's time is its stream entry's, which can be a ms past the script's clock read
    const plain = item.id === '' && item.schedule === '' && isStreamId(id);
    const timestamp = plain ? Number(id.slice(0, id.indexOf('-'))) : now;
    return Job.fromAdded<Data, Result>(this.deps.defaultContext(), id, item.name, item.value, item.stored, timestamp);
  }

  /** The queue's maxLength as Redis holds it (set by any Queue of it), for QueueFullError. */
  private async storedMaxLength(): Promise<number> {
    const { client, keys, options } = this.deps;
    return options.maxLength ?? Number((await client.hget(keys.meta, MetaField.maxLength).catch(() => null)) ?? 0);
  }

  /** The job that holds an id: the default group's record, or else the first group's that has one. */
  async existing(id: string): Promise<Job<Data, Result> | undefined> {
    const own = await this.deps.getJob(id);
    if (own) return own;
    // the groups' records read at once: one after the other, hundreds of groups took seconds
    const groups = (await this.deps.client.smembers(this.deps.keys.groups)).filter((group) => group !== 'default');
    return (await Promise.all(groups.map((group) => this.deps.getJob(id, group)))).find((job) => job !== undefined);
  }
}
