// The producer side of tracing: Queue.add and addBulk run inside a PRODUCER span
// (`publish <queue>`), and each new job carries the span's W3C trace context in its
// `traceContext` option, so the worker's consumer span can join the trace (consumer-spans.ts).
// Costs nothing in Redis: the context travels in the options JSON the job already has.
import type { Span } from '@opentelemetry/api';
import type { JobsOptions } from '../job/job-options.js';
import { Attr, SYSTEM } from './attributes.js';
import { tracerNow, type Otel } from './otel-api.js';
import type { ResolvedTelemetry } from './telemetry-options.js';
import { formatTraceparent, type TraceContext } from './trace-context.js';

/** One publish span, open while the add is sent. */
export class PublishSpan {
  private readonly context: TraceContext | undefined;

  constructor(
    private readonly api: Otel,
    private readonly span: Span,
  ) {
    const sc = span.spanContext();
    if (api.trace.isSpanContextValid(sc)) {
      const state = sc.traceState?.serialize();
      this.context = { traceparent: formatTraceparent(sc.traceId, sc.spanId, sc.traceFlags), ...(state ? { tracestate: state } : {}) };
    }
  }

  /**
   * The job's options with this span's trace context added; a job that carries one of its own
   * keeps it, and options that are not a plain object are left for validation to refuse.
   */
  inject<O extends JobsOptions>(opts: O | undefined): O | undefined {
    if (!this.context) return opts;
    if (opts === undefined) return { traceContext: this.context } as O;
    if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || opts.traceContext !== undefined) return opts;
    return { ...opts, traceContext: this.context };
  }

  /** Runs the add, ends the span with the job ids it made (or the error). */
  async around<T>(send: () => Promise<T>, ids: (result: T) => string[]): Promise<T> {
    try {
      const result = await send();
      const made = ids(result);
      if (made.length === 1) this.span.setAttribute(Attr.messageId, made[0]!);
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.span.recordException(error);
      this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: error.message });
      throw err;
    } finally {
      this.span.end();
    }
  }
}

/** A publish span for `count` jobs, when the API is loaded (JobWriter waits for the load first); else undefined. */
export function startPublish(telemetry: ResolvedTelemetry, queueName: string, count: number): PublishSpan | undefined {
  const found = tracerNow(telemetry);
  if (!found) return undefined;
  const { api, tracer } = found;
  const span = tracer.startSpan(`publish ${queueName}`, {
    kind: api.SpanKind.PRODUCER,
    attributes: {
      [Attr.system]: SYSTEM,
      [Attr.destination]: queueName,
      [Attr.operationType]: 'send',
      [Attr.operationName]: 'publish',
      ...(count === 1 ? {} : { [Attr.batchCount]: count }),
    },
  });
  return new PublishSpan(api, span);
}
