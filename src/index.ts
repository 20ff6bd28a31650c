// The public API of sluice: everything a user imports comes from here.
export { Queue, type QueueOptions, type GroupOption, type AddOptions } from './queue/queue.js';
export type { DurabilityOptions } from './redis/durability.js';
export type { JobCounts, JobsPage, PageOptions } from './queue/queue-reader.js';
export type { CreateGroupOptions, GroupInfo } from './fanout/groups.js';
export type { RateLimit } from './flow-control/rate-limit.js';
export {
  Worker,
  type WorkerOptions,
  type WorkerEvents,
  type WorkerHealth,
  type WorkerState,
  type Processor,
  type ProcessorContext,
} from './worker/worker.js';
export { Job, type JobState } from './job/job.js';
export { QueueEvents, type QueueEventsOptions, type QueueEventMap } from './events/queue-events.js';
export type { JobsOptions, KeepJobs } from './job/job-options.js';
export type { BackoffOptions, BackoffStrategy } from './job/backoff.js';
export type { ClusterConnectionOptions } from './redis/cluster.js';
export type { ConnectionInput, EvictionPolicyMode } from './redis/connection.js';
export type { Logger, LogFn } from './logger.js';
export type { RepeatOptions, RepeatSpec } from './scheduling/repeat.js';
export type { SchedulerInfo, SchedulerTemplate } from './scheduling/schedulers.js';
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
  ReplicationTimeoutError,
  AddBulkError,
} from './errors.js';
