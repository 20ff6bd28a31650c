// Errors about jobs and their processing: a job not found or busy, a lost lease, a timeout,
// shutdown, a closed object, a full queue, a failed or unkept result, and the two a processor
// throws to steer its job (UnrecoverableError, RateLimitError).
import type { Job } from '../job/job.js';
import { InvalidOptionError } from './input-errors.js';
import { SluiceError } from './sluice-error.js';

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
 * The job is in a state where the operation does not apply (`Job.changePriority` on an active
 * or finished job, `Job.updateData` on a finished one, either on a plain job that lives only in
 * its stream entry). The message says why and what to do instead. Code `JOB_STATE`.
 */
export class JobStateError extends SluiceError {
  /** The state the job was found in (`'waiting'` for a plain job in its stream entry). */
  readonly state: string;
  constructor(id: string, state: string, message: string) {
    super('JOB_STATE', `job "${id}" is ${state}: ${message}`);
    this.state = state;
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
      message ??
        `lease of job "${jobId}" was lost (expired or reclaimed); ` +
          "the job will be or was delivered again, so this worker's result is discarded",
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
    super(
      'CALL_INTERRUPTED',
      'the connection to Redis dropped before the reply came; the call may or may not have run (it is retried safely)',
    );
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
        'no longer holds it (removed on completion or by retention); ' +
        'keep completed jobs a while (e.g. removeOnComplete: { age: 60 }) or return a smaller value',
    );
    this.jobId = jobId;
  }
}

/**
 * A sandboxed processor's child (worker thread or process) could not run the job: it crashed,
 * exited, ran out of memory, or could not load the processor file. The attempt fails with this
 * as its reason (and is retried while the job has attempts left); the child is replaced and the
 * worker carries on. Code `SANDBOX_FAILED`.
 */
export class SandboxError extends SluiceError {
  constructor(message: string) {
    super('SANDBOX_FAILED', message);
  }
}

/**
 * Throw from a processor to say "come back later" without failing: the job goes back to its
 * group's schedule and runs again `delayMs` from now (Redis time), without using an attempt and
 * without a failure reason, as the next step of a multi-step job (keep the steps' state in your
 * own store or the job's result of a previous step). Like Service Bus's defer or SQS's change of
 * visibility. Code `DELAYED`.
 *
 * @example
 * ```ts
 * new Worker('payments', async (job) => {
 *   const status = await provider.status(job.data.paymentId);
 *   if (status === 'pending') throw new DelayedError(30_000); // ask again in 30 s
 *   return status;
 * }, { connection });
 * ```
 */
export class DelayedError extends SluiceError {
  /** How long from now the job waits (ms); undefined: the time `job.moveToDelayed` set, or at once. */
  readonly delayMs: number | undefined;
  /**
   * @param delayMs - ms from now, an integer >= 0; leave it out after `job.moveToDelayed(timestamp)` (BullMQ's way).
   * @throws {InvalidOptionError} `delayMs` is not an integer >= 0.
   */
  constructor(delayMs?: number) {
    super('DELAYED', delayMs === undefined ? 'job moved to delayed' : `job delayed by ${delayMs} ms`);
    if (delayMs !== undefined && (!Number.isInteger(delayMs) || delayMs < 0)) {
      throw new InvalidOptionError(`DelayedError needs an integer number of ms >= 0; got ${delayMs}`);
    }
    this.delayMs = delayMs;
  }
}

/**
 * A flow was refused by Redis and nothing of it (of this call) was added: a queue of it is
 * partitioned, or has consumer groups but not `default` (whose record tells the parent), a
 * job id it gives exists already, or the parent a later chunk of a large flow belongs to no
 * longer waits for its children.
 */
export class FlowRefusedError extends SluiceError {
  /** Why, in one word: `queue`, `id` or `parent`. */
  readonly reason: 'queue' | 'id' | 'parent';
  /** The queue, job id or parent id the refusal is about. */
  readonly subject: string;
  /** @param reason - what was refused; @param subject - the queue, id or parent concerned; @param message - the explanation. */
  constructor(reason: 'queue' | 'id' | 'parent', subject: string, message: string) {
    super('FLOW_REFUSED', message);
    this.reason = reason;
    this.subject = subject;
  }
}

/**
 * The job was cancelled while it ran (`queue.cancelJob`, `worker.cancelJob`): its processor's
 * signal is aborted with this error, and the attempt fails for good with `reason`, without a
 * retry. `job.retry()` runs it again.
 */
export class JobCancelledError extends SluiceError {
  /** The cancelled job. */
  readonly jobId: string;
  /** @param jobId - the job; @param reason - why it was cancelled. */
  constructor(jobId: string, reason: string) {
    super('JOB_CANCELLED', reason);
    this.jobId = jobId;
  }
}
