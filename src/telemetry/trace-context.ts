// The W3C trace context a job carries (the `traceContext` job option): its type, its
// validation (untrusted input, size-bounded: invariant 8, docs/invariants.md), and its parsing
// into the parts a tracer needs. Plain strings, so producers without OpenTelemetry can set it.
import { InvalidOptionError } from '../errors.js';
import { shown } from '../validate.js';

/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/) carried with a job, from the
 * code that added it to the worker that runs it. Set by sluice's producer span when
 * OpenTelemetry is installed (docs/telemetry.md); any producer may set it itself.
 */
export interface TraceContext {
  /** The `traceparent` header: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`. */
  traceparent: string;
  /** The `tracestate` header (vendor data), at most 512 characters. */
  tracestate?: string;
}

/** The longest tracestate accepted (the W3C limit is 32 members; 512 characters covers them). */
export const TRACESTATE_MAX = 512;

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TRACESTATE_RE = /^[\x20-\x7e]*$/;

/** Checks a `traceContext` job option; throws InvalidOptionError naming what is wrong. */
export function validateTraceContext(value: unknown): TraceContext {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidOptionError('traceContext must be { traceparent, tracestate? }');
  const { traceparent, tracestate, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new InvalidOptionError(`traceContext takes traceparent and tracestate only; got ${unknown.join(', ')}`);
  if (typeof traceparent !== 'string' || !parseTraceparent(traceparent))
    throw new InvalidOptionError(
      `traceContext.traceparent must be a W3C traceparent (00-<trace id>-<span id>-<flags>); got ${shown(traceparent)}`,
    );
  if (tracestate !== undefined && (typeof tracestate !== 'string' || tracestate.length > TRACESTATE_MAX || !TRACESTATE_RE.test(tracestate)))
    throw new InvalidOptionError(`traceContext.tracestate must be printable ASCII of at most ${TRACESTATE_MAX} characters`);
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
}

/** The parts of a traceparent; undefined when it is malformed or names the invalid (all-zero) ids. */
export function parseTraceparent(text: string): { traceId: string; spanId: string; traceFlags: number } | undefined {
  const m = TRACEPARENT_RE.exec(text);
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: Number.parseInt(m[3]!, 16) };
}

/** A traceparent from a span's ids and flags. */
export function formatTraceparent(traceId: string, spanId: string, traceFlags: number): string {
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}
