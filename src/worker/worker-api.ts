// The public types of a worker: its options, its events, its health report, and the
// processor's signature.
import type { BackoffStrategy } from '../job/backoff.js';
import type { ConnectionInput, EvictionPolicyMode } from '../redis/connection.js';
import type { LeaseLostError } from '../errors.js';
import type { Job } from '../job/job.js';
import type { Logger } from '../logger.js';
import type { RateLimit } from '../flow-control/rate-limit.js';
import type { SandboxOptions } from '../sandbox/sandbox-pool.js';
import type { TelemetryOption } from '../telemetry/telemetry-options.js';

/** The second argument of a processor: what it needs besides the job. */
export interface ProcessorContext {
  /** Aborts when the lease is lost, the job times out, or close() passes its deadline. */
  signal: AbortSignal;
  /** The lease token of this delivery, to fence your own side effects. */
  token: string;
}

/**
 * Your function that runs a job, given to `new Worker(name, processor, options)`. What it
 * returns (or resolves to) completes the job and is stored as its `returnvalue` (as JSON, at
 * most the worker's `maxPayloadBytes`; a value that cannot be stored fails the job for good).
 * What it throws fails the attempt: the job is retried while it has `attempts` left. Throw
 * `UnrecoverableError` to fail it for good at once, or `RateLimitError` to pause the group and
 * hand the job back without using an attempt.
 */
export type Processor<Data, Result> = (job: Job<Data, Result>, ctx: ProcessorContext) => Promise<Result> | Result;

/**
 * Options of `new Worker(name, processor, options)`. Checked in the constructor: a wrong value
 * throws `InvalidOptionError`, an unknown key `UnknownOptionError`.
 */
export interface WorkerOptions {
  /**
   * How to reach Redis: a `redis://` URL, ioredis options, or an ioredis client. The worker
   * always makes two connections of its own (from a client you pass, with `duplicate()`), and
   * closes them in `close()`. An ioredis `keyPrefix` or a Cluster client is refused with
   * `ConnectionConfigError` (use `prefix`).
   * No default: required.
   */
  connection: ConnectionInput;
  /**
   * First part of every key: 1-64 letters, digits, `_ . : -`. Must be the one of the queue's
   * Queue and QueueEvents.
   * @default 'sluice'
   */
  prefix?: string;
  /**
   * The queue's number of partitions (docs/partitions.md), checked against the number recorded
   * in Redis (`PartitionsMismatchError` when another is), or recorded if none is. Leave it out
   * to use the recorded number: the worker then consumes every partition of a partitioned
   * queue, and the queue itself when it is not partitioned.
   * @default the number recorded in Redis (1: not partitioned)
   */
  partitions?: number;
  /**
   * The worker's name in the queue's worker registry (`Queue.getWorkers`), e.g. a pod name.
   * @default `host:pid`
   */
  name?: string;
  /**
   * Metrics (docs/metrics.md): counted in memory and sent to Redis every `flushMs` and on close,
   * with the worker's heartbeat in the registry. `false` records nothing and lists the worker nowhere.
   * @default `{ flushMs: 5000 }`
   */
  metrics?: false | { flushMs?: number };
  /**
   * Renew the leases of running jobs from a helper thread while this worker's event loop is
   * blocked (a CPU-bound processor run without a sandbox), for at most `maxBlockedMs` of
   * blocking; past that the jobs are delivered again, as a dead worker's would be. One thread
   * per process, started with the first job; not used with a sandbox. docs/sandbox.md.
   * @default `{ maxBlockedMs: 300000 }`
   */
  leaseGuard?: boolean | { maxBlockedMs?: number };
  /**
   * OpenTelemetry tracing of the processor (a CONSUMER span per delivery; docs/telemetry.md),
   * when `@opentelemetry/api` is installed: `false` turns it off, `{ tracer }` picks the tracer.
   * @default true
   */
  telemetry?: TelemetryOption;
  /**
   * How a processor file runs (`new Worker(name, './processor.js', { sandbox })`; docs/sandbox.md):
   * in worker threads or child processes, so that CPU-bound work never blocks the worker's own
   * event loop (lease renewal, acks). Only with a processor file; a file without this option
   * runs in threads with the defaults.
   * @default `{ type: 'thread', size: concurrency, killAfterMs: 5000 }`
   */
  sandbox?: SandboxOptions;
  /**
   * The consumer group this worker takes jobs for: 1-64 letters, digits, `_ . -`. A group other
   * than `'default'` that does not exist is created when the worker starts, receiving the jobs
   * added from then on.
   * @default 'default'
   */
  group?: string;
  /**
   * The group's rate limit: at most `max` job starts per `duration` ms across all its workers
   * and processes (jobs over it wait, unpenalised). Written for the whole group when the worker
   * starts; Queue.setRateLimit changes it at run time.
   * @default none: the group's setting in Redis is left as it is (no limit if none was set).
   */
  limiter?: RateLimit;
  /**
   * Jobs of one ordering key that may run at once in the group (default 1). Written for the
   * whole group when the worker starts; an integer >= 1.
   * @default none: the group's setting in Redis is left as it is (1 if none was set).
   */
  keyConcurrency?: number;
  /**
   * Per ordering key: at most `max` starts per `duration` ms. Written for the whole group when
   * the worker starts.
   * @default none: the group's setting in Redis is left as it is (no limit if none was set).
   */
  keyLimiter?: RateLimit;
  /**
   * Jobs run at once by this worker; an integer >= 1.
   * @default 1
   */
  concurrency?: number;
  /**
   * Most jobs leased ahead of free slots (default 2 × concurrency, at least 100, at most
   * 1,000). Used only while jobs are short: the worker keeps about 20 ms of work in hand, and
   * none when jobs take long. An integer >= 0; 0 turns prefetching off.
   * @default 2 × concurrency, at least 100, at most 1,000
   */
  prefetch?: number;
  /**
   * Lease length in ms (default 30,000); renewed every third of it while the job runs. If the
   * worker stops renewing (crash, frozen event loop), the job is delivered again when its lease
   * ends. An integer >= 50.
   * @default 30000
   */
  leaseMs?: number;
  /**
   * A job whose lease expires more than this many times is failed (default 3). An integer >= 0.
   * @default 3
   */
  maxStalls?: number;
  /**
   * How long an idle worker blocks in Redis before re-checking (default 5,000 ms). An integer >= 1.
   * @default 5000
   */
  blockMs?: number;
  /**
   * Extra time Redis may take to answer, beyond `blockMs`, before the connection is reset
   * (default 5,000 ms). An integer >= 1.
   * @default 5000
   */
  watchdogGraceMs?: number;
  /**
   * Custom backoff strategies, by the name used in a job's backoff.type.
   * @default none: only 'fixed' and 'exponential'.
   */
  backoffStrategies?: Record<string, BackoffStrategy>;
  /**
   * Start consuming at construction (default true); else call run().
   * @default true
   */
  autorun?: boolean;
  /**
   * Largest return value and progress, as bytes of JSON. A return value over it fails the job
   * for good; progress over it makes `updateProgress` throw `PayloadTooLargeError`.
   * @default 524288 (512 KiB)
   */
  maxPayloadBytes?: number;
  /**
   * What to do when Redis may evict keys (its `maxmemory-policy` is not `noeviction`), checked
   * when the worker starts: `'warn'` logs a warning, `'refuse'` reports `EvictionPolicyError`
   * on the 'error' event and closes the worker, `'ignore'` does not check.
   * @default 'warn'
   */
  evictionPolicy?: EvictionPolicyMode;
  /**
   * Where sluice logs: any object with pino-style `debug/info/warn/error` methods (pino and
   * bunyan fit as they are). Entries carry the queue, group and worker id, through the logger's
   * `child()` when it has one.
   * @default a pino logger named "sluice" at the level of the SLUICE_LOG_LEVEL environment
   * variable, else 'warn'.
   */
  logger?: Logger;
}

/**
 * A worker's life: `'starting'` (connecting, checking Redis), `'running'` (taking jobs),
 * `'closing'` (close() was called: finishing its jobs), `'closed'`.
 */
export type WorkerState = 'starting' | 'running' | 'closing' | 'closed';

/** The events a Worker emits, with their listeners' arguments (`worker.on(event, listener)`). */
export interface WorkerEvents<Data, Result> {
  /** The worker started running a job (its processor was called). */
  active: (job: Job<Data, Result>) => void;
  /** A job completed: `result` is what its processor returned, now stored. */
  completed: (job: Job<Data, Result>, result: Result) => void;
  /**
   * Each failed attempt; `job.attemptsMade` and `willRetry` tell whether it comes back.
   * `job` is undefined for a job failed by Redis without running here (it stalled more than
   * `maxStalls` times, or its record was not written by sluice).
   */
  failed: (job: Job<Data, Result> | undefined, error: Error, willRetry: boolean) => void;
  /** A job whose lease expired (its worker crashed or froze) was put back or dead-lettered. */
  stalled: (jobId: string) => void;
  /** This worker lost a job's lease; its result was discarded. */
  lost: (jobId: string, error: LeaseLostError) => void;
  /**
   * A problem the worker met and carries on from, or stops on: Redis failures (as typed sluice
   * errors such as `RedisUnavailableError`), an unknown backoff type, an `EvictionPolicyError`.
   * Without a listener it is logged (it never throws).
   */
  error: (error: Error) => void;
  /** The worker closed: its jobs are settled or handed back, its connections closed. */
  closed: () => void;
  /** `worker.pause()` took effect: it leases nothing, and (unless `doNotWaitActive`) its running jobs have finished. */
  paused: () => void;
  /** `worker.resume()`: it leases again. */
  resumed: () => void;
}

/** A snapshot of a worker's state, as `Worker.health()` returns it (for health checks and metrics). */
export interface WorkerHealth {
  /** Where the worker is in its life. */
  state: WorkerState;
  /** True while running with both connections ready and Redis answering in time. */
  healthy: boolean;
  /** True while paused with `worker.pause()` (a paused worker is healthy: it leases nothing on purpose). */
  paused: boolean;
  /** The ioredis status of the worker's main connection (`'ready'` when connected). */
  connection: string;
  /** The ioredis status of its blocking connection (`'ready'` when connected). */
  blockingConnection: string;
  /** ms since Redis last answered the worker's fetch or blocking read. */
  lastFetchAgeMs: number;
  /** Jobs running now. */
  activeJobs: number;
  /** Leased ahead, not started yet. */
  prefetched: number;
  /** Jobs this worker completed since it started. */
  processed: number;
  /** Jobs that failed for good in this worker since it started. */
  failed: number;
}
