// The consumer side of tracing: a worker runs each job's processor inside a CONSUMER span
// (`process <queue>`), active as the context while the processor runs, so the spans it makes
// are its children. The span is a child of the producer's span (the job's `traceContext`) and
// also links to it (docs/telemetry.md says why). A failed attempt adds a retry or dead-letter
// event and sets the status to error. JobRunner calls these hooks; they do nothing when
// telemetry is off or OpenTelemetry is not installed.
import type { Context, Link, Span } from '@opentelemetry/api';
import { Attr, SpanEvent, SYSTEM } from './attributes.js';
import { tracerNow, type Otel } from './otel-api.js';
import type { ResolvedTelemetry } from './telemetry-options.js';
import { parseTraceparent, type TraceContext } from './trace-context.js';

/** What a consumer span is made from: the job as the worker has it. */
export interface TracedJob {
  id: string;
  name: string;
  attemptsMade: number;
  deliveries?: number;
  opts: { traceContext?: TraceContext };
}

/** One delivery's process span. */
export class ProcessSpan {
  private ended = false;

  constructor(
    private readonly api: Otel,
    private readonly span: Span,
    private readonly context: Context,
  ) {}

  /** Runs the processor with this span as the active context. */
  run<T>(fn: () => T): T {
    return this.api.context.with(this.context, fn);
  }

  /** The processor succeeded. */
  completed(): void {
    this.span.setAttribute(Attr.outcome, 'completed');
    this.end();
  }

  /** The attempt failed: a retry in `delayMs`, or (final) a dead letter. */
  failed(error: Error, final: boolean, delayMs: number): void {
    const reason = error.message || String(error);
    this.span.recordException(error);
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: reason });
    this.span.setAttribute(Attr.outcome, final ? 'failed' : 'retry');
    if (final) this.span.addEvent(SpanEvent.deadLetter, { [Attr.failedReason]: reason });
    else this.span.addEvent(SpanEvent.retry, { [Attr.failedReason]: reason, [Attr.retryDelay]: delayMs });
    this.end();
  }

  /** The job ended some other way (its lease was lost, it was handed back): `outcome` says how. */
  other(outcome: string): void {
    this.span.setAttribute(Attr.outcome, outcome);
    this.end();
  }

  /** Ends the span (once). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.span.end();
  }
}

/** The producer's span context carried by a job, as a remote parent. */
function carried(api: Otel, traceContext: TraceContext | undefined): Context | undefined {
  const parts = traceContext && typeof traceContext.traceparent === 'string' ? parseTraceparent(traceContext.traceparent) : undefined;
  if (!parts) return undefined;
  let traceState: ReturnType<Otel['createTraceState']> | undefined;
  try {
    traceState = traceContext?.tracestate ? api.createTraceState(traceContext.tracestate) : undefined;
  } catch {
    traceState = undefined;
  }
  return api.trace.setSpanContext(api.ROOT_CONTEXT, { ...parts, isRemote: true, ...(traceState ? { traceState } : {}) });
}

/**
 * A process span for a job a worker of `group` is about to run, made at once (the job starts
 * without waiting for it); undefined when telemetry is off, OpenTelemetry is not installed, or
 * its API has not finished loading (the Worker starts loading it when it starts: preloadOtel).
 */
export function startProcess(telemetry: ResolvedTelemetry, queueName: string, group: string, job: TracedJob): ProcessSpan | undefined {
  const found = tracerNow(telemetry);
  if (!found) return undefined;
  const { api, tracer } = found;
  const parent = carried(api, job.opts?.traceContext);
  const producer = parent ? api.trace.getSpanContext(parent) : undefined;
  const links: Link[] = producer ? [{ context: producer }] : [];
  const span = tracer.startSpan(
    `process ${queueName}`,
    {
      kind: api.SpanKind.CONSUMER,
      links,
      attributes: {
        [Attr.system]: SYSTEM,
        [Attr.destination]: queueName,
        [Attr.operationType]: 'process',
        [Attr.operationName]: 'process',
        [Attr.consumerGroup]: group,
        [Attr.messageId]: job.id,
        [Attr.jobName]: job.name,
        [Attr.attempt]: job.attemptsMade + 1,
        ...(job.deliveries !== undefined ? { [Attr.delivery]: job.deliveries } : {}),
      },
    },
    parent ?? api.ROOT_CONTEXT,
  );
  return new ProcessSpan(api, span, api.trace.setSpan(parent ?? api.ROOT_CONTEXT, span));
}
