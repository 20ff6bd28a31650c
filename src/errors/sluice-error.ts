// The base of every error sluice throws or reports, and the list of their stable codes.

/** The stable `code` of every {@link SluiceError}, one per error class: branch on it, not on messages. */
export type SluiceErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_PAYLOAD'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_ID'
  | 'CONNECTION_CONFIG'
  | 'EVICTION_POLICY'
  | 'PARTITIONS_MISMATCH'
  | 'JOB_NOT_FOUND'
  | 'JOB_ACTIVE'
  | 'JOB_STATE'
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
  | 'SANDBOX_FAILED'
  | 'DELAYED'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_OOM'
  | 'REDIS_READONLY'
  | 'REDIS_COMMAND'
  | 'REPLICATION_TIMEOUT'
  | 'ADD_BULK_INCOMPLETE'
  | 'FLOW_REFUSED'
  | 'JOB_CANCELLED';

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
