// The public types of a worker: its options, its events, its health report, and the
// processor's signature.
import type { BackoffStrategy } from './backoff.js';
import type { ConnectionInput, EvictionPolicyMode } from './connection.js';
import type { LeaseLostError } from './errors.js';
import type { Job } from './job.js';
import type { Logger } from './logger.js';
import type { RateLimit } from './rate-limit.js';

export interface ProcessorContext {
  /** Aborts when the lease is lost, the job times out, or close() passes its deadline. */
  signal: AbortSignal;
  /** The lease token of this delivery, to fence your own side effects. */
  token: string;
}

export type Processor<Data, Result> = (job: Job<Data, Result>, ctx: ProcessorContext) => Promise<Result> | Result;

export interface WorkerOptions {
  connection: ConnectionInput;
  prefix?: string;
  /** Consumer group (default "default"). */
  group?: string;
  /**
   * The group's rate limit: at most `max` job starts per `duration` ms across all its workers
   * and processes (jobs over it wait, unpenalised). Written for the whole group when the worker
   * starts; Queue.setRateLimit changes it at run time.
   */
  limiter?: RateLimit;
  /** Jobs of one ordering key that may run at once in the group (default 1). Written for the whole group. */
  keyConcurrency?: number;
  /** Per ordering key: at most `max` starts per `duration` ms. Written for the whole group. */
  keyLimiter?: RateLimit;
  /** Jobs run at once by this worker (default 1). */
  concurrency?: number;
  /**
   * Most jobs leased ahead of free slots (default 2 × concurrency, at least 100, at most
   * 1,000). Used only while jobs are short: the worker keeps about 20 ms of work in hand, and
   * none when jobs take long.
   */
  prefetch?: number;
  /** Lease length in ms (default 30,000); renewed every third of it while the job runs. */
  leaseMs?: number;
  /** A job whose lease expires more than this many times is failed (default 3). */
  maxStalls?: number;
  /** How long an idle worker blocks in Redis before re-checking (default 5,000 ms). */
  blockMs?: number;
  /** Extra time Redis may take to answer before the connection is reset (default 5,000 ms). */
  watchdogGraceMs?: number;
  /** Custom backoff strategies, by the name used in a job's backoff.type. */
  backoffStrategies?: Record<string, BackoffStrategy>;
  /** Start consuming at construction (default true); else call run(). */
  autorun?: boolean;
  maxPayloadBytes?: number;
  evictionPolicy?: EvictionPolicyMode;
  logger?: Logger;
}

export type WorkerState = 'starting' | 'running' | 'closing' | 'closed';

export interface WorkerEvents<Data, Result> {
  active: (job: Job<Data, Result>) => void;
  completed: (job: Job<Data, Result>, result: Result) => void;
  /** Each failed attempt; `job.attemptsMade` and `willRetry` tell whether it comes back. */
  failed: (job: Job<Data, Result> | undefined, error: Error, willRetry: boolean) => void;
  /** A job whose lease expired (its worker crashed or froze) was put back or dead-lettered. */
  stalled: (jobId: string) => void;
  /** This worker lost a job's lease; its result was discarded. */
  lost: (jobId: string, error: LeaseLostError) => void;
  error: (error: Error) => void;
  closed: () => void;
}

export interface WorkerHealth {
  state: WorkerState;
  /** True while running with both connections ready and Redis answering in time. */
  healthy: boolean;
  connection: string;
  blockingConnection: string;
  /** ms since Redis last answered the worker's fetch or blocking read. */
  lastFetchAgeMs: number;
  activeJobs: number;
  /** Leased ahead, not started yet. */
  prefetched: number;
  processed: number;
  failed: number;
}
