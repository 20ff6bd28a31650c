// The common face the scenarios see for each library: a producer (add, bulk add) and a worker
// (concurrency, retention, a hook when a job starts and when it completes). Each adapter maps
// it to the library's own API and nothing more, so every scenario runs identical code.
// RabbitMQ and NATS JetStream are reference points for the low-load scenarios only: they take
// the same interface (ignoring the Redis address) plus `broker`, their own server's lifecycle.
import type { RedisAddress } from '../lib/redis-server.js';

/** The Redis-backed queues: every scenario compares them. */
export const REDIS_LIBRARIES = ['sluice', 'bullmq', 'bee-queue'] as const;
/** Message brokers with their own server, run only where a metric names them (the low-load scenarios). */
export const BROKERS = ['rabbitmq', 'nats'] as const;
export const LIBRARIES = [...REDIS_LIBRARIES, ...BROKERS] as const;
export type LibName = (typeof LIBRARIES)[number];
export type BrokerName = (typeof BROKERS)[number];

export const isBroker = (lib: LibName): lib is BrokerName => (BROKERS as readonly string[]).includes(lib);

/**
 * What happens to a job once completed. 'remove': deleted at once (the throughput scenarios,
 * where the three libraries then do the same work); 'keep': all retained (memory scenario);
 * 'default': no option given (the library's default).
 */
export type Retention = 'remove' | 'keep' | 'default';

/**
 * The small JSON payload of every benchmark job; `t` is the add time (ms, timeOrigin + now);
 * `d`, on delayed jobs only, the delay asked for (ms), so that the worker can tell lateness.
 */
export interface Payload {
  i: number;
  t: number;
  user: string;
  action: string;
  d?: number;
}

export function payload(i: number): Payload {
  return { i, t: performance.timeOrigin + performance.now(), user: `user-${i % 1000}`, action: 'resize-image' };
}

/**
 * Per-job options the scenarios use, mapped to each library's own: `delayMs` (relative to the
 * add; Bee-Queue takes an absolute time, so its adapter passes data.t + delayMs) and
 * `priority` (1 = highest; Bee-Queue has none and rejects it). No options: the library's
 * plain add, exactly as in the scenarios that pass none.
 */
export interface AddOptions {
  delayMs?: number;
  priority?: number;
  /** sluice only: the job's ordering key (jobs of a key run one at a time, in order). */
  orderingKey?: string;
}

export interface ProducerHandle {
  add(data: Payload, opts?: AddOptions): Promise<void>;
  /** One library call for the whole array (callers pass at most 1,000); `opts[k]` goes with `data[k]`. */
  addBulk(data: Payload[], opts?: (AddOptions | undefined)[]): Promise<void>;
  close(): Promise<void>;
}

export interface WorkerSpec {
  concurrency: number;
  retention: Retention;
  /** The worker must also run delayed jobs (Bee-Queue activates them only when asked). */
  delayed?: boolean;
  /** A rate limit for the queue's workers: at most max starts per duration ms (sluice, BullMQ). */
  limiter?: { max: number; duration: number };
  /** sluice only (partitions scenario): connect to this Redis Cluster (seed URLs) instead of the address given. */
  cluster?: string[];
  /** sluice only (partitions scenario): the queue's number of partitions. */
  partitions?: number;
  /** sluice: the Worker's `prefetch` (0: lease only what it starts); brokers: their prefetch is `concurrency`. */
  prefetch?: number;
  /** How long an idle worker blocks per call (sluice blockMs; BullMQ drainDelay, rounded up to seconds). */
  blockMs?: number;
  /**
   * Called as the processor starts (the processor itself is a no-op), with the start time the
   * library recorded for the job (its processedOn, ms), where it has one.
   */
  onStart(data: Payload, recordedStart?: number): void;
  onCompleted(): void;
  onFailed(err: Error): void;
}

export interface WorkerHandle {
  close(): Promise<void>;
}

/** A broker's server, seen from the bench process (never from the measured children). */
export interface BrokerControl {
  /** Where the bench expects it, for the skip note. */
  url: string;
  /** Connects (failing within ~2 s when nothing answers) and returns the server's version. */
  probe(): Promise<string>;
  /** Creates the turn's queue or stream afresh (deleting a leftover of the same name first). */
  create(queue: string, spec: { maxInFlight: number }): Promise<void>;
  /** Deletes what create() made. */
  remove(queue: string): Promise<void>;
}

export interface Adapter {
  name: LibName;
  version: string;
  /** Brokers only: their server's lifecycle. */
  broker?: BrokerControl;
  producer(redis: RedisAddress, queue: string, retention: Retention): Promise<ProducerHandle>;
  /** Resolves once the worker is connected and consuming. */
  worker(redis: RedisAddress, queue: string, spec: WorkerSpec): Promise<WorkerHandle>;
}

/** Loads one adapter only, so that a worker process never loads the other libraries. */
export async function loadAdapter(name: LibName): Promise<Adapter> {
  switch (name) {
    case 'sluice':
      return (await import('./sluice.js')).adapter;
    case 'bullmq':
      return (await import('./bullmq.js')).adapter;
    case 'bee-queue':
      return (await import('./bee-queue.js')).adapter;
    case 'rabbitmq':
      return (await import('./rabbitmq.js')).adapter;
    case 'nats':
      return (await import('./nats.js')).adapter;
    default:
      throw new Error(`unknown library "${String(name)}"; use one of ${LIBRARIES.join(', ')}`);
  }
}
