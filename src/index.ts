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
export { FlowProducer, type FlowProducerOptions } from './flow/flow-producer.js';
export type { ChildFailurePolicy, FlowAddOptions, FlowJob, FlowJobOptions, JobNode } from './flow/flow-types.js';
export type { FlowDependencies, FlowJobMethods } from './flow/job-flow-methods.js';
export type { SandboxOptions } from './sandbox/sandbox-pool.js';
export type { SandboxedJob, SandboxedProcessor } from './sandbox/sandboxed-job.js';
export { QueueEvents, type QueueEventsOptions, type QueueEventMap } from './events/queue-events.js';
export type { JobsOptions, KeepJobs } from './job/job-options.js';
export type { TraceContext } from './telemetry/trace-context.js';
export type { Explanation, ExplainOptions, ExplainReason } from './ops/explain.js';
export type { TelemetryOption, TelemetryTracer } from './telemetry/telemetry-options.js';
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
  PartitionsMismatchError,
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
  RateLimitError,
  QueueFullError,
  UnrecoverableError,
  JobFailedError,
  ResultNotKeptError,
  SandboxError,
  DelayedError,
  FlowRefusedError,
  JobCancelledError,
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
export { createDashboard, type DashboardHandler } from './dashboard/handler.js';
export { startDashboard, DashboardExposedError, type StartDashboardOptions, type RunningDashboard } from './dashboard/server.js';
export type { DashboardOptions } from './dashboard/options.js';
export type * from './dashboard/api-types.js';
export type { QueueMetricsMethods } from './metrics/metrics-methods.js';
export type { GetMetricsOptions, MetricsHistory } from './metrics/queue-metrics.js';
export type { WorkerInfo } from './metrics/metrics-store.js';
export type { WorkerDescription } from './metrics/flush-args.js';
export { createMetricsHandler, type MetricsHandler, type MetricsHandlerOptions } from './metrics/handler.js';
export { readGroupActivity, type GroupActivity, type Percentiles } from './metrics/activity.js';
