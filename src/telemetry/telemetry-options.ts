// The `telemetry` option of Queue and Worker: whether sluice makes OpenTelemetry spans, and
// with which tracer (docs/telemetry.md). Its public type names no OpenTelemetry type, so
// users without the package compile as before.
import { InvalidOptionError } from '../errors.js';
import { shown } from '../validate.js';

/** The part of an OpenTelemetry `Tracer` sluice uses (pass a real one). */
export interface TelemetryTracer {
  /** Starts a span (OpenTelemetry's `Tracer.startSpan`). */
  startSpan(name: string, options?: object, context?: object): object;
}

/**
 * Whether sluice makes OpenTelemetry spans (when `@opentelemetry/api` is installed):
 * `true` (default) uses the global tracer provider's tracer `sluice`; `false` makes none and
 * loads nothing; `{ tracer }` uses that tracer.
 */
export type TelemetryOption = boolean | { tracer?: TelemetryTracer };

/** The option resolved: false (off) or the tracer to use (undefined: the global provider's). */
export type ResolvedTelemetry = false | { tracer: TelemetryTracer | undefined };

/** Checks and resolves a `telemetry` option (default on). */
export function resolveTelemetry(value: unknown): ResolvedTelemetry {
  if (value === undefined || value === true) return { tracer: undefined };
  if (value === false) return false;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { tracer, ...rest } = value as { tracer?: unknown };
    if (Object.keys(rest).length) throw new InvalidOptionError(`telemetry takes { tracer } only; got ${Object.keys(rest).join(', ')}`);
    if (
      tracer !== undefined &&
      (typeof tracer !== 'object' || tracer === null || typeof (tracer as TelemetryTracer).startSpan !== 'function')
    )
      throw new InvalidOptionError('telemetry.tracer must be an OpenTelemetry Tracer');
    return { tracer: tracer as TelemetryTracer | undefined };
  }
  throw new InvalidOptionError(`telemetry must be true, false or { tracer }; got ${shown(value)}`);
}
