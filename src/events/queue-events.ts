// Reads a queue's lifecycle events from its capped event stream (written by the scripts that
// change state) and emits them one job at a time. It keeps its place by event id: after a
// reconnect it resumes after the last event it delivered, so nothing within the cap is lost or
// repeated. It also serves waitUntilFinished and Queue.call, keyed by job id.
// Events carry values up to 1 KiB (return values, progress); a larger one is left out of the
// event (field o) and read here from the job's record, only when someone listens for it.
import type { Redis } from 'ioredis';
import { guardBlockingRead } from '../redis/blocking-read.js';
import { createClient, cutConnection, type ConnectionInput } from '../redis/connection.js';
import { ClosedError, InvalidOptionError, JobFailedError, ResultNotKeptError, WaitTimeoutError } from '../errors.js';
import { JobField, queueKeys, type QueueKeys } from '../redis/keys.js';
import { childLogger, defaultLogger, type Logger } from '../logger.js';
import { checkOptionNames, shown, validateGroupName, validatePrefix, validateQueueName, waitOptionMs } from '../validate.js';
import { fromJson } from '../job/payload.js';
import { xreadEntries } from '../redis/streams.js';
import { TypedEmitter } from './typed-emitter.js';
import { Scripts } from '../redis/scripts.js';
import type { PartitionRef } from '../redis/keys.js';
import { openMerged, type MergedEvents } from '../partitions/merged-events.js';
import { validatePartitions } from '../validate.js';
import type { QueueEventMap } from './event-map.js';
import { dispatchMore, isQueueWide, type MoreEmit } from './more-events.js';

export type { QueueEventMap } from './event-map.js';

/** Options of {@link QueueEvents}. */
export interface QueueEventsOptions {
  /** Where Redis is: see {@link ConnectionInput}. QueueEvents makes its own connection from it. */
  connection: ConnectionInput;
  /**
   * The key prefix of the queue (as given to its Queue and Workers).
   * @default 'sluice'
   */
  prefix?: string;
  /**
   * 'now' (default): events from now on; or an event id to resume after (on a partitioned
   * queue, a composite one: docs/partitions.md).
   */
  from?: 'now' | string;
  /**
   * The consumer group whose job events to deliver (default 'default'). Queue-wide events
   * (added, delayed) reach every group's listeners.
   */
  group?: string;
  /** How long a read blocks in Redis before checking again (default 5,000 ms). */
  blockMs?: number;
  /**
   * Where sluice logs (any pino-style logger).
   * @default a pino logger at level "warn"
   */
  logger?: Logger;
  /**
   * The queue's number of partitions, as its Queue has it (recorded in Redis by the first of
   * them; another number is refused with PartitionsMismatchError). Left out, the recorded
   * number is used. Over N partitions, N readers (N blocking connections): docs/partitions.md.
   * @default the number recorded for the queue in Redis (1: not partitioned)
   */
  partitions?: number;
  /** @internal The partition this reader reads, for a partitioned QueueEvents. */
  partition?: PartitionRef;
}

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string } | { ok: 'notKept' };

/** Job records read per round trip for values left out of events (each up to the payload limit). */
const LOOKUP_CHUNK = 50;

/**
 * Listens to a queue's job events, from any process: a job added, started, completed, failed,
 * retried, stalled or removed, with its id. Events come from a capped stream in Redis, read in
 * order; after a reconnect the reader resumes after the last event it delivered, so none within
 * the cap is lost or repeated. `Job.waitUntilFinished` and `Queue.call` use it.
 *
 * @typeParam Result - the type the processor returns (the `completed` event's `returnvalue`).
 * @example
 * ```ts
 * const events = new QueueEvents<{ sent: boolean }>('emails', { connection });
 * events.on('completed', ({ jobId, returnvalue }) => console.log(jobId, returnvalue?.sent)); // undefined if it was too large to keep
 * events.on('failed', ({ jobId, failedReason }) => alert(jobId, failedReason));
 * // later: await events.close();
 * ```
 */
export class QueueEvents<Result = unknown> extends TypedEmitter<QueueEventMap<Result>> {
  /** The queue's name. */
  readonly name: string;
  /** The consumer group whose job events this delivers. */
  readonly group: string;
  private readonly keys: QueueKeys;
  private readonly client: Redis;
  private readonly blockMs: number;
  /** The id of the last event delivered (resume point; composite on a partitioned queue). */
  lastEventId: string | undefined;
  private readonly start: 'now' | string;
  private readonly opts: QueueEventsOptions;
  /** Over a partitioned queue: the partitions' readers. */
  private merged: MergedEvents<QueueEvents<Result>> | undefined;
  /** @internal For a partition's reader: the QueueEvents that delivers its events and settles its waits. */
  parent: QueueEvents<Result> | undefined;
  private running: Promise<void> | undefined;
  private ready: Promise<void> | undefined;
  private closed = false;
  private generation = 0;
  private readonly waiters = new Map<string, Set<(outcome: Outcome) => void>>();
  /** Emits the events more-events.ts decodes. */
  private readonly emitMore: MoreEmit = (event, ...args) => (this.emit as (e: string, ...a: unknown[]) => void)(event, ...args);

  constructor(name: string, opts: QueueEventsOptions) {
    super(childLogger(opts?.logger ?? defaultLogger(), { queue: name, component: 'events' }));
    this.name = validateQueueName(name);
    if (!opts || typeof opts !== 'object') throw new InvalidOptionError('QueueEvents options with a connection are required');
    checkOptionNames('QueueEvents options', opts, [
      'connection',
      'prefix',
      'from',
      'group',
      'blockMs',
      'logger',
      'partitions',
      'partition',
    ]);
    this.opts = { ...opts, partitions: validatePartitions(opts.partitions) };
    this.group = validateGroupName(opts.group ?? 'default');
    this.keys = queueKeys(validatePrefix(opts.prefix), this.name, opts.partition);
    this.blockMs = waitOptionMs('blockMs', opts.blockMs, 5000);
    this.start = opts.from ?? 'now';
    if (this.start !== 'now' && (typeof this.start !== 'string' || !/^\d+-\d+(,\d+-\d+)*$/.test(this.start)))
      throw new InvalidOptionError(`from must be 'now' or an event id; got ${shown(this.start)}`);
    this.client = createClient(opts.connection, 'blocking', `sluice:events:${this.name}`).client;
    this.client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    void this.waitUntilReady().catch(() => undefined);
  }

  /** Resolves once the starting point is fixed: events after it will be delivered. */
  waitUntilReady(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(`QueueEvents "${this.name}"`));
    this.ready ??= (async () => {
      if (!this.opts.partition && (await this.startPartitions())) return;
      if (this.start === 'now') {
        const last = (await this.client.xrevrange(this.keys.events, '+', '-', 'COUNT', 1)) as [string, string[]][];
        this.lastEventId = last[0]?.[0] ?? '0-0';
      } else {
        this.lastEventId = this.start;
      }
      this.running = this.loop();
    })();
    return this.ready;
  }

  /** Over a partitioned queue, starts a reader per partition (merged-events.ts) instead of this one. */
  private async startPartitions(): Promise<boolean> {
    const { partitions, from: _from, ...base } = this.opts;
    this.merged = await openMerged(new Scripts(this.client, this.keys), this.name, partitions, this.start, (partition, from) =>
      Object.assign(new QueueEvents<Result>(this.name, { ...base, partition, from }), { parent: this }),
    );
    if (!this.merged) return false;
    cutConnection(this.client);
    if (this.closed) await this.merged.close(); // closed while the readers were made
    await this.merged.waitUntilReady();
    this.lastEventId = this.merged.resumePoint();
    return true;
  }

  /** A partition's event, delivered by its parent with the resume point of the merged reader. */
  protected override emit<K extends keyof QueueEventMap<Result>>(event: K, ...args: Parameters<QueueEventMap<Result>[K]>): void {
    const parent = this.parent;
    if (parent?.merged && event !== 'error') {
      parent.lastEventId = parent.merged.resumePoint();
      args[1] = parent.lastEventId;
    }
    if (parent) parent.emit(event, ...args);
    else super.emit(event, ...args);
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const outcome = await this.readOnce();
      if (outcome === 'error' && !this.closed) await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * One blocking read. A dropped connection can leave the command unanswered for good, so the
   * read also ends on the connection's 'close' event or a watchdog; a read given up on is
   * ignored if it ever answers, and the next one resumes after the last delivered event.
   */
  private async readOnce(): Promise<'ok' | 'error'> {
    const generation = ++this.generation;
    const read = this.client
      .call('XREAD', 'COUNT', '100', 'BLOCK', String(this.blockMs), 'STREAMS', this.keys.events, this.lastEventId!)
      .then(async (reply) => {
        if (generation === this.generation && reply) await this.dispatchReply(reply, generation);
        return 'ok' as const;
      })
      .catch((err: unknown) => {
        if (!this.closed) this.logger.warn({ err }, 'reading events failed; resuming after the last event delivered');
        return 'error' as const;
      });
    const outcome = await guardBlockingRead(this.client, read, this.blockMs + 5000);
    if (outcome.kind === 'answer') return outcome.value;
    if (outcome.kind === 'silent') this.logger.warn('event read got no answer in time; the connection was reset');
    this.generation++; // a read given up on is ignored if it ever answers
    return 'error';
  }

  /**
   * Delivers the entries of one read in order. An entry whose left-out values must be read
   * first is delivered (and becomes the resume point) only once they are read; a read given up
   * on (generation moved on) stops here, and the next one resumes after the last delivered.
   */
  private async dispatchReply(reply: unknown, generation: number): Promise<void> {
    for (const [eventId, fields] of xreadEntries(reply, this.keys.events)) {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      // events of a group other than default carry g; the default group's carry none
      const ours = (f.g ?? 'default') === this.group || isQueueWide(f.e);
      const ids = (f.j ?? '').split(' ').filter(Boolean);
      const leftOut = ours && f.o ? await this.readLeftOut(f.e ?? '', ids, f.o) : new Map<number, string | null>();
      if (generation !== this.generation) return;
      this.lastEventId = eventId;
      if (ours) this.dispatch(eventId, f, ids, leftOut);
    }
  }

  /**
   * The values an event left out (o: positions in j), read from the jobs' records: only those
   * someone listens for (a listener of the event, or a waiter for the job). Raw JSON by
   * position; null where the record no longer holds the value. A listener or waiter that
   * arrives while records are read is served by one more round (at most 3).
   */
  private async readLeftOut(event: string, ids: string[], positionsText: string): Promise<Map<number, string | null>> {
    const values = new Map<number, string | null>();
    const field = event === 'completed' ? JobField.returnvalue : event === 'progress' ? JobField.progress : undefined;
    if (!field) return values;
    const omitted = positionsText
      .split(' ')
      .map(Number)
      .filter((p) => Number.isInteger(p) && p >= 0 && p < ids.length);
    for (let round = 0; round < 3; round++) {
      const to = this.parent ?? this;
      const listened = to.listenerCount(event as keyof QueueEventMap) > 0;
      const wanted = omitted.filter((p) => !values.has(p) && (listened || (event === 'completed' && to.waiters.has(ids[p]!))));
      if (wanted.length === 0) break;
      for (let start = 0; start < wanted.length; start += LOOKUP_CHUNK) {
        const chunk = wanted.slice(start, start + LOOKUP_CHUNK);
        const pipeline = this.client.pipeline();
        for (const p of chunk) pipeline.hmget(this.keys.group(this.group).job(ids[p]!), JobField.state, field);
        const replies = (await pipeline.exec()) ?? [];
        chunk.forEach((p, n) => {
          const [err, reply] = replies[n] ?? [new Error('no reply')];
          if (err) throw err;
          const [state, value] = reply as (string | null)[];
          // a return value counts only while the record still shows that completion
          values.set(p, value != null && (event !== 'completed' || state === 'completed') ? value : null);
        });
      }
    }
    return values;
  }

  private dispatch(eventId: string, f: Record<string, string>, ids: string[], leftOut: Map<number, string | null>): void {
    const omitted = new Set((f.o ?? '').split(' ').filter(Boolean).map(Number));
    switch (f.e) {
      case 'completed': {
        const values = fromJson(f.r);
        ids.forEach((jobId, i) => {
          const raw = leftOut.get(i);
          const outcome: Outcome = !omitted.has(i)
            ? { ok: true, value: Array.isArray(values) ? values[i] : undefined }
            : raw == null
              ? { ok: 'notKept' }
              : { ok: true, value: fromJson(raw) };
          this.settle(jobId, outcome);
          if (outcome.ok === true) this.emit('completed', { jobId, returnvalue: outcome.value as Result }, eventId);
          else this.emit('completed', { jobId, returnvalue: undefined, returnvalueNotKept: true }, eventId);
        });
        return;
      }
      case 'failed':
        for (const jobId of ids) {
          this.settle(jobId, { ok: false, reason: f.r ?? '' });
          this.emit('failed', { jobId, failedReason: f.r ?? '' }, eventId);
        }
        return;
      case 'retrying':
        for (const jobId of ids) this.emit('retrying', { jobId, failedReason: f.r ?? '', delay: Number(f.d ?? 0) }, eventId);
        dispatchMore(this.emitMore, this.group, eventId, f, ids);
        return;
      case 'progress':
        ids.forEach((jobId, i) => {
          if (!omitted.has(i)) {
            this.emit('progress', { jobId, data: fromJson(f.p) }, eventId);
            return;
          }
          const raw = leftOut.get(i);
          if (raw == null) this.emit('progress', { jobId, data: undefined, dataNotKept: true }, eventId);
          else this.emit('progress', { jobId, data: fromJson(raw) }, eventId);
        });
        return;
      case 'added':
        for (const jobId of ids) this.emit('added', { jobId }, eventId);
        dispatchMore(this.emitMore, this.group, eventId, f, ids);
        return;
      case 'delayed':
      case 'active':
      case 'stalled':
      case 'removed':
        for (const jobId of ids) this.emit(f.e, { jobId }, eventId);
        return;
      default:
        if (!dispatchMore(this.emitMore, this.group, eventId, f, ids)) this.logger.debug({ eventId, event: f.e }, 'unknown event ignored');
    }
  }

  private settle(jobId: string, outcome: Outcome): void {
    const set = (this.parent ?? this).waiters.get(jobId);
    if (!set) return;
    (this.parent ?? this).waiters.delete(jobId);
    for (const resolve of set) resolve(outcome);
  }

  /**
   * Resolves with the job's return value when it completes, rejects with JobFailedError when it
   * fails for good, with ResultNotKeptError when it completed with a value over 1 KiB that its
   * record no longer holds, or with WaitTimeoutError after `timeoutMs`. `check` reads the job's current
   * state after listening starts, so a job that finished before the call is not missed.
   */
  async waitForJob<R>(jobId: string, timeoutMs: number, check?: () => Promise<Outcome | undefined>): Promise<R> {
    await this.waitUntilReady();
    return new Promise<R>((resolve, reject) => {
      let set = this.waiters.get(jobId);
      if (!set) this.waiters.set(jobId, (set = new Set()));
      const done = (outcome: Outcome) => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
        if (outcome.ok === true) resolve(outcome.value as R);
        else if (outcome.ok === 'notKept') reject(new ResultNotKeptError(jobId));
        else reject(new JobFailedError(jobId, outcome.reason));
      };
      const timer = setTimeout(() => {
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(jobId) === set) this.waiters.delete(jobId);
        reject(new WaitTimeoutError(jobId, timeoutMs));
      }, timeoutMs);
      set.add(done);
      check?.().then(
        (outcome) => {
          if (outcome && set!.has(done)) done(outcome);
        },
        () => undefined,
      );
    });
  }

  /**
   * Stops reading and closes the connection; pending waitUntilFinished calls reject. Nothing of
   * it keeps the process alive once it resolves. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [jobId, set] of this.waiters)
      for (const resolve of set) resolve({ ok: false, reason: `QueueEvents closed while waiting for job ${jobId}` });
    this.waiters.clear();
    cutConnection(this.client);
    await this.merged?.close();
    await this.running?.catch(() => undefined);
  }
}
