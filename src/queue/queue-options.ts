// A queue's options, validated and resolved to their defaults in one place (the constructor
// only wires the parts together), and the option names each Queue method takes: an unknown
// key is refused everywhere, so that a misspelt option is never ignored.
import type { ConnectionInput, EvictionPolicyMode } from '../redis/connection.js';
import { InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  encodeSchedule,
  EVICTION_MODES,
  JOB_OPTION_NAMES,
  optionsJson,
  validateJobOptions,
  type JobsOptions,
} from '../job/job-options.js';
import { type Durability, type DurabilityOptions, resolveDurability } from '../redis/durability.js';
import { resolveTelemetry, type ResolvedTelemetry, type TelemetryOption } from '../telemetry/telemetry-options.js';
import { checkOptionNames, positiveInt, validateChoice, validateGroupName, validatePartitions, validatePrefix } from '../validate.js';
import type { PartitionRef } from '../redis/keys.js';

/**
 * Options of `new Queue(name, options)`. Checked in the constructor: a wrong value throws
 * `InvalidOptionError`, an unknown key `UnknownOptionError`.
 */
export interface QueueOptions {
  /**
   * How to reach Redis: a `redis://` URL, ioredis options, or an ioredis client. A client you
   * pass is used as it is and left open by `close()`; with a URL or options the Queue makes its
   * own connection and closes it. An ioredis `keyPrefix` or a Cluster client is refused with
   * `ConnectionConfigError` (use `prefix`).
   * No default: required.
   */
  connection: ConnectionInput;
  /**
   * First part of every key: 1-64 letters, digits, `_ . : -`. The Queue, Workers and
   * QueueEvents of one queue must use the same one.
   * @default 'sluice'
   */
  prefix?: string;
  /**
   * Options applied to every job added by this Queue unless the job sets its own (option by
   * option). Cannot set `jobId`. Not applied to the jobs of schedulers.
   * @default none: each job has only its own options.
   */
  defaultJobOptions?: JobsOptions;
  /**
   * Largest job data (and scheduler data), as bytes of JSON; an add over it throws
   * `PayloadTooLargeError`.
   * @default 524288 (512 KiB)
   */
  maxPayloadBytes?: number;
  /**
   * What to do when Redis may evict keys (its `maxmemory-policy` is not `noeviction`), which
   * loses jobs; checked before the first write: `'warn'` logs a warning, `'refuse'` makes
   * the calls that write reject with `EvictionPolicyError`, `'ignore'` does not check.
   * @default 'warn'
   */
  evictionPolicy?: EvictionPolicyMode;
  /**
   * Backpressure: most jobs waiting (in the busiest group, plus delayed ones). An add beyond it
   * rejects with QueueFullError, or with { wait: ms } waits up to that long for room. A setting
   * of the queue in Redis, for every producer of it; null removes it. An integer >= 1.
   * @default none: the setting in Redis is left as it is (no limit if none was ever set).
   */
  maxLength?: number | null;
  /**
   * The capped event stream QueueEvents reads: maxLen entries (default 10,000; 0 = no events),
   * none older than maxAgeMs (default 24 h; 0 = no age limit). A setting of the queue in Redis,
   * for every producer and worker of it.
   * @default none: the setting in Redis is left as it is (if none was ever set:
   * `{ maxLen: 10000, maxAgeMs: 86400000 }`).
   */
  events?: { maxLen?: number; maxAgeMs?: number };
  /**
   * How much history the job stream keeps for replay (groups created with from: 'start' or a
   * time): at most maxLen entries and none older than maxAgeMs. Entries some group has not
   * read yet are always kept. Without it, an entry goes once every group has read it.
   * A field left out sets no limit of that kind; maxAgeMs is at most 10 years. A setting of
   * the queue in Redis.
   * @default none: the setting in Redis is left as it is (if none was ever set, no history is
   * kept beyond what some group has not read).
   */
  retention?: { maxLen?: number; maxAgeMs?: number };
  /**
   * Where sluice logs: any object with pino-style `debug/info/warn/error` methods (pino and
   * bunyan fit as they are). Entries carry the queue, through the logger's
   * `child()` when it has one.
   * @default a pino logger named "sluice" at the level of the SLUICE_LOG_LEVEL environment
   * variable, else 'warn'.
   */
  logger?: Logger;
  /**
   * Durable mode: add() and addBulk() resolve only once `replicas` replicas confirmed the write
   * (`WAIT replicas timeoutMs` after each enqueue round trip, on the same connection); when
   * fewer confirm within `timeoutMs`, they reject with ReplicationTimeoutError (the job IS
   * written on the master: retry with the same jobId). A failover to a replica then cannot lose
   * an acknowledged add. Each round trip waits for the replicas, so adds are slower. Not on
   * Redis Cluster.
   * @default none: Redis's asynchronous replication (a failover can lose the last writes)
   */
  durability?: DurabilityOptions;
  /**
   * Spread the queue's jobs over this many partitions, each a hash slot of its own (on Redis
   * Cluster, spread over the masters): an integer from 1 to 256. The first Queue, Worker or
   * QueueEvents of the queue built with it records the number in Redis; one built with another
   * number is refused with `PartitionsMismatchError` (a live queue's number cannot change), so
   * is partitioning a queue that already holds jobs. Left out, the number recorded in Redis is
   * used (1 if none). 1 is an ordinary queue. What works on a partitioned queue, how jobs are
   * routed and how to move to another number: docs/partitions.md.
   * @default the number recorded for the queue in Redis (1: not partitioned)
   */
  partitions?: number;
  /** @internal Set by a partitioned Queue on each of its parts: the partition this Queue is. */
  partition?: PartitionRef;
  /**
   * OpenTelemetry tracing of add/addBulk (PRODUCER spans; docs/telemetry.md), when
   * `@opentelemetry/api` is installed: `false` turns it off, `{ tracer }` picks the tracer.
   * @default true
   */
  telemetry?: TelemetryOption;
}

/**
 * Options of add(): the job's options, and how long to wait for room in a full queue (ms,
 * default 0: a full queue rejects at once with QueueFullError).
 */
export type AddOptions = JobsOptions & { wait?: number };

/** Which consumer group an operation is about. */
export interface GroupOption {
  /**
   * The consumer group's name.
   * @default 'default'
   */
  group?: string;
}

const QUEUE_OPTION_NAMES = [
  'connection',
  'prefix',
  'defaultJobOptions',
  'maxPayloadBytes',
  'evictionPolicy',
  'maxLength',
  'events',
  'retention',
  'logger',
  'durability',
  'partitions',
  'partition',
  'telemetry',
] as const;

/** The option names of Queue methods that take an options object. */
export const METHOD_OPTION_NAMES = {
  add: [...JOB_OPTION_NAMES, 'wait'],
  group: ['group'],
  retryJobs: ['state', 'count', 'group'],
  promoteJobs: ['count', 'group'],
  call: ['timeout', 'opts', 'group'],
  createGroup: ['from', 'keepDefault'],
  force: ['force'],
  bulkJob: ['name', 'data', 'opts'],
  rateLimit: ['max', 'duration'],
  repeat: ['pattern', 'tz', 'every', 'startDate', 'endDate', 'limit', 'immediately', 'skipMissed'],
  template: ['name', 'data', 'opts'],
} as const;

/** The group an operation names (checked), 'default' when it names none. */
export function groupOf(opts: GroupOption | undefined): string {
  return opts?.group === undefined ? 'default' : validateGroupName(opts.group);
}

/** Refuses unknown keys in the options object of a method (UnknownOptionError, with the nearest name). */
export function methodOptions(method: string, opts: unknown, known: readonly string[]): void {
  checkOptionNames(`the options of ${method}()`, opts, known);
}

export interface ResolvedQueueOptions {
  prefix: string;
  defaults: JobsOptions;
  /** The defaults as add() sends them for a job without options of its own (encoded once). */
  encodedDefaults: { stored: JobsOptions; text: string; schedule: string };
  maxPayloadBytes: number;
  evictionMode: EvictionPolicyMode;
  eventsMaxLen: number | undefined;
  eventsMaxAgeMs: number | undefined;
  maxLength: number | null | undefined;
  retention: { keepLen: number; keepAgeMs: number } | undefined;
  durability: Durability | undefined;
  /** The number of partitions asked for (undefined: the recorded one). */
  partitions: number | undefined;
  /** Tracing (telemetry option): off, or the tracer to use. */
  telemetry: ResolvedTelemetry;
}

export function resolveQueueOptions(opts: QueueOptions): ResolvedQueueOptions {
  if (!opts || typeof opts !== 'object') throw new InvalidOptionError('Queue options with a connection are required');
  checkOptionNames('Queue options', opts, QUEUE_OPTION_NAMES);
  checkOptionNames('Queue options', opts.events, ['maxLen', 'maxAgeMs'], 'events.');
  checkOptionNames('Queue options', opts.retention, ['maxLen', 'maxAgeMs'], 'retention.');
  const defaults = validateJobOptions(opts.defaultJobOptions);
  if (defaults.jobId !== undefined) throw new InvalidOptionError('defaultJobOptions cannot set a jobId');
  let retention: ResolvedQueueOptions['retention'];
  if (opts.retention !== undefined) {
    retention = {
      keepLen: opts.retention.maxLen === undefined ? -1 : positiveInt('retention.maxLen', opts.retention.maxLen, 0, 0),
      keepAgeMs: opts.retention.maxAgeMs === undefined ? -1 : positiveInt('retention.maxAgeMs', opts.retention.maxAgeMs, 0, 0),
    };
    if (retention.keepAgeMs > 10 * 365 * 86_400_000)
      throw new InvalidOptionError('retention.maxAgeMs must be at most 10 years; leave it out to keep history by maxLen only');
  }
  return {
    prefix: validatePrefix(opts.prefix),
    defaults,
    encodedDefaults: { stored: defaults, text: optionsJson(defaults), schedule: encodeSchedule(defaults) },
    maxPayloadBytes: positiveInt('maxPayloadBytes', opts.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES),
    evictionMode: validateChoice('evictionPolicy', opts.evictionPolicy, EVICTION_MODES) ?? 'warn',
    eventsMaxLen: opts.events?.maxLen === undefined ? undefined : positiveInt('events.maxLen', opts.events.maxLen, 10_000, 0),
    eventsMaxAgeMs: opts.events?.maxAgeMs === undefined ? undefined : positiveInt('events.maxAgeMs', opts.events.maxAgeMs, 86_400_000, 0),
    maxLength: opts.maxLength === null ? null : opts.maxLength === undefined ? undefined : positiveInt('maxLength', opts.maxLength, 0, 1),
    retention,
    durability: resolveDurability('Queue options', opts.durability),
    partitions: validatePartitions(opts.partitions),
    telemetry: resolveTelemetry(opts.telemetry),
  };
}
