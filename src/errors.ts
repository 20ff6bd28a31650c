// Every error sluice throws or reports, in one place. Each has a stable `code`; callers branch
// on the class or the code, never on the message. Messages say what was wrong and what to do.
// The classes live in src/errors/, by kind.
export { SluiceError, type SluiceErrorCode } from './errors/sluice-error.js';
export {
  InvalidOptionError,
  UnknownOptionError,
  InvalidPayloadError,
  PayloadTooLargeError,
  InvalidIdError,
  ConnectionConfigError,
  EvictionPolicyError,
  PartitionsMismatchError,
} from './errors/input-errors.js';
export {
  JobNotFoundError,
  JobActiveError,
  JobStateError,
  LeaseLostError,
  JobTimeoutError,
  ShutdownError,
  ClosedError,
  MalformedJobError,
  ObliterateRefusedError,
  GroupActiveError,
  UnrecoverableError,
  RateLimitError,
  QueueFullError,
  JobFailedError,
  WaitTimeoutError,
  CallInterruptedError,
  ResultNotKeptError,
  SandboxError,
  DelayedError,
  FlowRefusedError,
  JobCancelledError,
} from './errors/job-errors.js';
export {
  RedisUnavailableError,
  RedisOutOfMemoryError,
  RedisReadOnlyError,
  RedisCommandError,
  ReplicationTimeoutError,
  AddBulkError,
} from './errors/redis-failures.js';
