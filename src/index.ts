// The public API of sluice: everything a user imports comes from here.
export { Queue, type QueueOptions, type GroupOption, type AddOptions } from './queue.js';
export type { JobCounts, JobsPage, PageOptions } from './queue-reader.js';
export type { CreateGroupOptions, GroupInfo } from './groups.js';
export type { RateLimit } from './rate-limit.js';
export {
  Worker,
  type WorkerOptions,
  type WorkerEvents,
  type WorkerHealth,
  type WorkerState,
  type Processor,
  type ProcessorContext,
} from './worker.js';
export { Job, type JobState } from './job.js';
export { QueueEvents, type QueueEventsOptions, type QueueEventMap } from './queue-events.js';
export type { JobsOptions, KeepJobs } from './options.js';
export type { BackoffOptions, BackoffStrategy } from './backoff.js';
export type { ConnectionInput, EvictionPolicyMode } from './connection.js';
export type { Logger, LogFn } from './logger.js';
export type { RepeatOptions, RepeatSpec } from './schedule.js';
export type { SchedulerInfo, SchedulerTemplate } from './schedulers.js';
export { shutdownOnSignals, type Closeable, type ShutdownOptions } from './shutdown.js';
export {
  SluiceError,
  type SluiceErrorCode,
  InvalidOptionError,
  InvalidPayloadError,
  PayloadTooLargeError,
  InvalidIdError,
  ConnectionConfigError,
  EvictionPolicyError,
  JobNotFoundError,
  JobActiveError,
  LeaseLostError,
  JobTimeoutError,
  ShutdownError,
  ClosedError,
  MalformedJobError,
  ObliterateRefusedError,
  GroupActiveError,
  RateLimitError,
  QueueFullError,
  UnrecoverableError,
  JobFailedError,
  ResultNotKeptError,
  WaitTimeoutError,
  CallInterruptedError,
  UnknownOptionError,
  RedisUnavailableError,
  RedisOutOfMemoryError,
  RedisReadOnlyError,
  RedisCommandError,
  AddBulkError,
} from './errors.js';
