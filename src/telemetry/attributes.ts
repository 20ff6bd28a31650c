// The names of the span attributes and events sluice writes (OpenTelemetry semantic
// conventions for messaging where one exists, `sluice.*` otherwise): one list, used by the
// producer and consumer spans and by docs/telemetry.md.

/** Span attribute names. */
export const Attr = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  consumerGroup: 'messaging.consumer.group.name',
  jobName: 'sluice.job.name',
  attempt: 'sluice.job.attempt',
  delivery: 'sluice.job.delivery',
  outcome: 'sluice.job.outcome',
  retryDelay: 'sluice.job.retry_delay_ms',
  failedReason: 'sluice.job.failed_reason',
} as const;

/** The value of messaging.system. */
export const SYSTEM = 'sluice';

/** Span event names: a failed attempt that will run again, and a job failed for good. */
export const SpanEvent = { retry: 'sluice.job.retry', deadLetter: 'sluice.job.dead_letter' } as const;
