// Every error sluice throws or reports, in one place. Each has a stable `code`; callers branch
// on the class or the code, never on the message. Messages say what was wrong and what to do.
import type { Job } from './job/job.js';

/** The stable `code` of every {@link SluiceError}, one per error class: branch on it, not on messages. */
export type SluiceErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_PAYLOAD'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_ID'
  | 'CONNECTION_CONFIG'
  | 'EVICTION_POLICY'
  | 'JOB_NOT_FOUND'
  | 'JOB_ACTIVE'
  | 'LEASE_LOST'
  | 'JOB_TIMEOUT'
  | 'SHUTDOWN'
  | 'CLOSED'
  | 'MALFORMED_JOB'
  | 'OBLITERATE_REFUSED'
  | 'GROUP_ACTIVE'
  | 'RATE_LIMITED'
  | 'QUEUE_FULL'
  | 'UNRECOVERABLE'
  | 'JOB_FAILED'
  | 'WAIT_TIMEOUT'
  | 'CALL_INTERRUPTED'
  | 'RESULT_NOT_KEPT'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_OOM'
  | 'REDIS_READONLY'
  | 'REDIS_COMMAND'
  | 'ADD_BULK_INCOMPLETE';

/**
 * The base class of every error sluice throws or reports. Test with `instanceof` (of this or of
 * a subclass) or by `code`; the message says what was wrong and what to do, and may change.
 * The `name` is the class name. Redis errors keep the ioredis error as `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await queue.add('email', data, { jobId });
 * } catch (err) {
 *   if (err instanceof SluiceError && err.code === 'QUEUE_FULL') return retryLater();
 *   throw err;
 * }
 * ```
 */
export class SluiceError extends Error {
  /** What kind of error this is; stable across versions. */
  readonly code: SluiceErrorCode;
  constructor(code: SluiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option or argument has a wrong type or value. Nothing was written. Code `INVALID_OPTION`. */
export class InvalidOptionError extends SluiceError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/**
 * An options object has a key sluice does not know (a misspelling, or an option of something
 * else). Nothing was written. Code `INVALID_OPTION` (it is an {@link InvalidOptionError}).
 */
export class UnknownOptionError extends InvalidOptionError {
  /** The unknown key, with its path for a nested one ("limiter.maxx"). */
  readonly option: string;
  /** The nearest known option (same path), when one is close enough to be a misspelling. */
  readonly suggestion: string | undefined;
  /** Every option that object takes (same path). */
  readonly known: string[];
  constructor(where: string, option: string, suggestion: string | undefined, known: string[]) {
    super(
      `unknown option "${option}" in ${where}` +
        (suggestion ? `: did you mean "${suggestion}"?` : '.') +
        ` Known: ${known.join(', ')}`,
    );
    this.option = option;
    this.suggestion = suggestion;
    this.known = known;
  }
}

/**
 * Job data (or a result, or progress) cannot be stored as JSON faithfully (a function, a
 * BigInt, NaN, a cycle...). Nothing was written. Code `INVALID_PAYLOAD`.
 */
export class InvalidPayloadError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_PAYLOAD', message, options);
  }
}

/**
 * Job data (or progress) exceeds the `maxPayloadBytes` of the Queue (or Worker). Nothing was
 * written. Code `PAYLOAD_TOO_LARGE`.
 */
export class PayloadTooLargeError extends SluiceError {
  /** The size of the value, in bytes of JSON. */
  readonly size: number;
  /** The limit it went over (`maxPayloadBytes`). */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      'PAYLOAD_TOO_LARGE',
      `job data is ${size} bytes as JSON, over the limit of ${limit} bytes; store large blobs elsewhere and pass a reference, or raise maxPayloadBytes`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A queue name, job id, job name, group name or scheduler key is not acceptable. Nothing was
 * written. Code `INVALID_ID`.
 */
export class InvalidIdError extends SluiceError {
  constructor(message: string) {
    super('INVALID_ID', message);
  }
}

/**
 * The Redis connection is configured in a way sluice cannot work with (an ioredis `keyPrefix`,
 * or a Cluster client); thrown by the Queue, Worker and QueueEvents constructors.
 * Code `CONNECTION_CONFIG`.
 */
export class ConnectionConfigError extends SluiceError {
  constructor(message: string) {
    super('CONNECTION_CONFIG', message);
  }
}

/**
 * Redis may evict keys (maxmemory-policy is not noeviction) and the Queue or Worker was told
 * to refuse (`evictionPolicy: 'refuse'`). Code `EVICTION_POLICY`.
 */
export class EvictionPolicyError extends SluiceError {
  constructor(policy: string) {
    super(
      'EVICTION_POLICY',
      `Redis maxmemory-policy is "${policy}": Redis may evict queue keys, which loses jobs. Set "maxmemory-policy noeviction" (CONFIG SET or redis.conf), or pass evictionPolicy: 'warn' to accept the risk`,
    );
  }
}

/**
 * The job does not exist in the group, or is not in the state the operation needs
 * (`Queue.remove`, `Job.retry`, `Job.changeDelay`, `Job.promote`). Code `JOB_NOT_FOUND`.
 */
export class JobNotFoundError extends SluiceError {
  constructor(id: string, message?: string) {
    super('JOB_NOT_FOUND', message ?? `job "${id}" does not exist (it may have been removed by its retention policy)`);
  }
}

/**
 * The operation (such as removing the job) needs a job that is not being processed; a worker
 * holds its lease. Code `JOB_ACTIVE`.
 */
export class JobActiveError extends SluiceError {
  constructor(id: string, operation: string) {
    super('JOB_ACTIVE', `cannot ${operation} job "${id}" while it is active: a worker holds its lease; wait until it finishes`);
  }
}

/**
 * This worker no longer holds the job's lease (it expired and the job went elsewhere), or the
 * Job was not handed to a processor; thrown by `Job.updateProgress`, `log` and `extendLease`,
 * and reported on the Worker's 'lost' event. Code `LEASE_LOST`.
 */
export class LeaseLostError extends SluiceError {
  /** The id of the job whose lease was lost. */
  readonly jobId: string;
  constructor(jobId: string, message?: string) {
    super(
      'LEASE_LOST',
      message ?? `lease of job "${jobId}" was lost (expired or reclaimed); the job will be or was delivered again, so this worker's result is discarded`,
    );
    this.jobId = jobId;
  }
}

/**
 * The job ran longer than its `timeout` option: the processor's signal aborts with it, and it
 * counts as a failed attempt. Code `JOB_TIMEOUT`.
 */
export class JobTimeoutError extends SluiceError {
  constructor(jobId: string, timeoutMs: number) {
    super('JOB_TIMEOUT', `job "${jobId}" timed out after ${timeoutMs} ms`);
  }
}

/**
 * The worker is shutting down and aborted the job (the processor's signal aborts with it); it
 * goes back to the queue unpenalised. Code `SHUTDOWN`.
 */
export class ShutdownError extends SluiceError {
  constructor() {
    super('SHUTDOWN', 'worker closed before the job finished; the job was handed back without using an attempt');
  }
}

/**
 * The Queue, Worker or QueueEvents was closed before (or while) the call was made; create a
 * new one. Code `CLOSED`.
 */
export class ClosedError extends SluiceError {
  constructor(what: string) {
    super('CLOSED', `${what} is closed; create a new one`);
  }
}

/**
 * A job record in Redis was not written by sluice (planted or corrupted): the worker fails the
 * job for good with this error. Code `MALFORMED_JOB`.
 */
export class MalformedJobError extends SluiceError {
  constructor(message: string) {
    super('MALFORMED_JOB', message);
  }
}

/**
 * `Queue.obliterate` was refused because the queue has active jobs; stop its workers first, or
 * pass `{ force: true }`. Code `OBLITERATE_REFUSED`.
 */
export class ObliterateRefusedError extends SluiceError {
  constructor(queue: string) {
    super('OBLITERATE_REFUSED', `queue "${queue}" has active jobs; stop its workers first, or pass { force: true }`);
  }
}

/**
 * `Queue.removeGroup` was refused because the group has active jobs; stop its workers first,
 * or pass `{ force: true }`. Code `GROUP_ACTIVE`.
 */
export class GroupActiveError extends SluiceError {
  constructor(group: string) {
    super('GROUP_ACTIVE', `consumer group "${group}" has active jobs; stop its workers first, or pass { force: true }`);
  }
}

/**
 * Throw from a processor to fail the job for good at once, without retries (whatever
 * `attempts` says). Code `UNRECOVERABLE`.
 *
 * @example
 * ```ts
 * const worker = new Worker('charge', async (job) => {
 *   if (!job.data.customerId) throw new UnrecoverableError('no customer: retrying will not help');
 *   return charge(job.data);
 * }, { connection });
 * ```
 */
export class UnrecoverableError extends SluiceError {
  /** @param message - the job's `failedReason`. */
  constructor(message = 'unrecoverable error') {
    super('UNRECOVERABLE', message);
  }
}

/**
 * Throw from a processor when a downstream refuses for now (an HTTP 429): the whole group
 * starts no job for `ms`, in every process, and this job goes back to the front of the line
 * without using an attempt. Code `RATE_LIMITED`.
 */
export class RateLimitError extends SluiceError {
  /** How long the group starts no job, in ms. */
  readonly ms: number;
  /**
   * @param ms - how long the whole group starts no job, in ms (an integer >= 0).
   * @param message - a message for logs.
   * @throws {InvalidOptionError} `ms` is not an integer >= 0.
   */
  constructor(ms: number, message = `rate limited for ${ms} ms`) {
    super('RATE_LIMITED', message);
    if (!Number.isInteger(ms) || ms < 0) throw new InvalidOptionError(`RateLimitError needs an integer number of ms >= 0; got ${ms}`);
    this.ms = ms;
  }
}

/**
 * The queue holds maxLength jobs: add() was refused (or waited its `wait` out) for room, or
 * addBulk() could not add every job. Code `QUEUE_FULL`.
 */
export class QueueFullError extends SluiceError {
  /** The queue's `maxLength` setting. */
  readonly maxLength: number;
  /** addBulk: the jobs (Job objects) that fitted and were added before the queue was full, in input order. */
  readonly added: Job[];
  /** addBulk: indexes (into its input) of the jobs that were not added; add those again later. */
  readonly notAdded: number[];
  constructor(queue: string, maxLength: number, waitedMs?: number, added: Job[] = [], notAdded: number[] = []) {
    super(
      'QUEUE_FULL',
      `queue "${queue}" is full (maxLength ${maxLength})${waitedMs ? ` and had no room within ${waitedMs} ms` : ''}; ` +
        'add later, pass { wait: ms } to wait for room, or raise maxLength',
    );
    this.maxLength = maxLength;
    this.added = added;
    this.notAdded = notAdded;
  }
}

/**
 * A job awaited with waitUntilFinished (or Queue.call) failed for good, or the QueueEvents
 * waited through was closed. Code `JOB_FAILED`.
 */
export class JobFailedError extends SluiceError {
  /** The id of the job that failed. */
  readonly jobId: string;
  /** The job's failure reason (the message of the error it failed with). */
  readonly failedReason: string;
  constructor(jobId: string, failedReason: string) {
    super('JOB_FAILED', `job "${jobId}" failed: ${failedReason}`);
    this.jobId = jobId;
    this.failedReason = failedReason;
  }
}

/**
 * waitUntilFinished (or Queue.call) gave up waiting; the job itself is untouched and may still
 * run. Code `WAIT_TIMEOUT`.
 */
export class WaitTimeoutError extends SluiceError {
  /** The id of the job waited for. */
  readonly jobId: string;
  constructor(jobId: string, timeoutMs: number) {
    super('WAIT_TIMEOUT', `job "${jobId}" did not finish within ${timeoutMs} ms; it stays in the queue and may still run`);
    this.jobId = jobId;
  }
}

/**
 * The connection to Redis dropped while a call waited for its reply: Redis may or may not
 * have run it. sluice's own retries are safe (acks are idempotent, unanswered leases are
 * handed back); the worker reports it on its 'error' event and carries on.
 * Code `CALL_INTERRUPTED`.
 */
export class CallInterruptedError extends SluiceError {
  constructor() {
    super('CALL_INTERRUPTED', 'the connection to Redis dropped before the reply came; the call may or may not have run (it is retried safely)');
  }
}

/**
 * waitUntilFinished (or Queue.call): the job completed, but its return value was too large to
 * travel in the event (over 1 KiB) and its record no longer held it when read.
 * Code `RESULT_NOT_KEPT`.
 */
export class ResultNotKeptError extends SluiceError {
  /** The id of the job that completed. */
  readonly jobId: string;
  constructor(jobId: string) {
    super(
      'RESULT_NOT_KEPT',
      `job "${jobId}" completed, but its return value is over 1 KiB, too large to travel in the event, and its record ` +
        'no longer holds it (removed on completion or by retention); keep completed jobs a while (e.g. removeOnComplete: { age: 60 }) or return a smaller value',
    );
    this.jobId = jobId;
  }
}

// Redis failures. Each keeps the ioredis error as `cause`; src/redis/redis-errors.ts maps to them.

/**
 * Redis cannot be reached or did not answer (down, unreachable, connection dropped, command
 * timeout, still loading). The command was not run, or it ran and its reply was lost.
 * Code `REDIS_UNAVAILABLE`.
 */
export class RedisUnavailableError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  constructor(address: string, problem: string, options: { cause: unknown }) {
    super(
      'REDIS_UNAVAILABLE',
      `Redis at ${address} ${problem}. The command was not run, or its reply was lost (then a write may have been applied). ` +
        'Check that Redis is running and reachable at that address; sluice reconnects by itself, so retry once it is back ' +
        '(a jobId makes a retried add safe)',
      options,
    );
    this.address = address;
  }
}

/**
 * Redis is over its maxmemory and refuses writes (maxmemory-policy noeviction). Nothing was
 * written. Code `REDIS_OOM`.
 */
export class RedisOutOfMemoryError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  constructor(address: string, options: { cause: unknown }) {
    super(
      'REDIS_OOM',
      `Redis at ${address} is out of memory: its used memory is over maxmemory, so it refused the write and nothing was written. ` +
        'Let workers drain the queue (finished jobs are removed by their retention), clean finished jobs, or raise maxmemory; then add again',
      options,
    );
    this.address = address;
  }
}

/**
 * Redis is a read-only replica (typically after a failover demoted it). Nothing was written.
 * Code `REDIS_READONLY`.
 */
export class RedisReadOnlyError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  constructor(address: string, options: { cause: unknown }) {
    super(
      'REDIS_READONLY',
      `Redis at ${address} is a read-only replica and refused the write, so nothing was written. After a failover, ` +
        'connect to the new master (through Sentinel, or a client that follows failovers) and retry',
      options,
    );
    this.address = address;
  }
}

/**
 * Redis refused a command with an error reply not covered by the classes above (such as
 * NOPERM or WRONGTYPE). Code `REDIS_COMMAND`.
 */
export class RedisCommandError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  /** The reply's error code, its first word (ERR, WRONGTYPE, NOSCRIPT, NOPERM, ...). */
  readonly redisCode: string;
  constructor(address: string, redisCode: string, reply: string, options: { cause: unknown }) {
    super('REDIS_COMMAND', `Redis at ${address} refused a command: ${reply}`, options);
    this.address = address;
    this.redisCode = redisCode;
  }
}

/**
 * addBulk failed part-way (its cause says why): it says exactly which jobs were added, which
 * were not, and which are unknown (sent, but the reply was lost: they may have been added).
 * Every input index is in exactly one of the three. Code `ADD_BULK_INCOMPLETE`.
 */
export class AddBulkError extends SluiceError {
  /** The Job objects of the inputs that were added (or existed), in input order. */
  readonly added: Job[];
  /** Indexes (into addBulk's input) of the jobs that were not added: safe to add again. */
  readonly notAdded: number[];
  /** Indexes of the jobs whose outcome is unknown: check (by jobId) before adding them again. */
  readonly unknown: number[];
  constructor(total: number, added: Job[], notAdded: number[], unknown: number[], cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'ADD_BULK_INCOMPLETE',
      `addBulk did not finish: ${added.length} of ${total} jobs were added (added), ${notAdded.length} were not (notAdded)` +
        (unknown.length ? `, and ${unknown.length} may or may not have been (unknown: their reply was lost)` : '') +
        `; add only the notAdded ones again. Cause: ${reason}`,
      { cause },
    );
    this.added = added;
    this.notAdded = notAdded;
    this.unknown = unknown;
  }
}
