// Loads the optional peer `@opentelemetry/api` lazily, once per process, with a dynamic
// import() (no top-level await: the package stays require()-able from CommonJS). A failed
// import is not an error: telemetry is then off. Nothing here runs unless telemetry is on and
// a Queue adds or a Worker runs a job.
import type * as OtelApi from '@opentelemetry/api';
import type { ResolvedTelemetry } from './telemetry-options.js';

/** The OpenTelemetry API module. */
export type Otel = typeof OtelApi;

/** The name and version sluice's tracer is asked for under. */
export const TRACER_NAME = 'sluice';

let loading: Promise<Otel | undefined> | undefined;
let loaded: Otel | null | undefined;

/** The API, once loaded (undefined while not yet tried, null if it is not installed). */
export function otelIfLoaded(): Otel | null | undefined {
  return loaded;
}

/** False when no span can be made: telemetry is off, or the API is known not to be installed. */
export function mayTrace(telemetry: ResolvedTelemetry): boolean {
  return telemetry !== false && loaded !== null;
}

/** Loads the API (once); resolves undefined when it is not installed. */
export function loadOtel(): Promise<Otel | undefined> {
  // a variable specifier keeps bundlers from requiring the optional package
  const name = '@opentelemetry/api';
  loading ??= (import(name) as Promise<Otel>).then(
    (api) => {
      loaded = api;
      return api;
    },
    () => {
      loaded = null;
      return undefined;
    },
  );
  return loading;
}

/**
 * The tracer of a resolved telemetry option now, without waiting: undefined when off, not
 * installed, or not loaded yet (the load is then started: see preloadOtel).
 */
export function tracerNow(telemetry: ResolvedTelemetry): { api: Otel; tracer: OtelApi.Tracer } | undefined {
  if (telemetry === false) return undefined;
  if (loaded === undefined) void loadOtel();
  if (!loaded) return undefined;
  return withTracer(loaded, telemetry);
}

/**
 * The API and the tracer to use: the one given in the options, else the global provider's;
 * undefined when neither can record (no SDK registered: the API's no-op provider), so that no
 * span is made for nothing. Asked on each span, so an SDK registered later is found. A no-op
 * span per job cost a worker about 0.7 KB of garbage (bench/README.md).
 */
function withTracer(api: Otel, telemetry: Exclude<ResolvedTelemetry, false>): { api: Otel; tracer: OtelApi.Tracer } | undefined {
  const given = telemetry.tracer as OtelApi.Tracer | undefined;
  if (given) return { api, tracer: given };
  if (!sdkRegistered(api)) return undefined;
  return { api, tracer: api.trace.getTracer(TRACER_NAME) };
}

/**
 * Whether a tracer provider other than the API's built-in no-op one is registered, told by the
 * class name of the global provider's delegate (should a bundler rename it, spans are made as
 * before, non-recording).
 */
function sdkRegistered(api: Otel): boolean {
  const provider = api.trace.getTracerProvider() as OtelApi.TracerProvider & { getDelegate?: () => object };
  const actual = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return actual?.constructor?.name !== 'NoopTracerProvider';
}

/**
 * The API's load while it is under way (started now when telemetry is on and it was not), else
 * undefined: loaded, not installed, or telemetry off. The promise settles once the load has.
 */
export function otelLoading(telemetry: ResolvedTelemetry): Promise<unknown> | undefined {
  if (telemetry === false || loaded !== undefined) return undefined;
  return loadOtel();
}

/** Starts loading the API when telemetry is on (a Worker does, so its first job finds it loaded). */
export function preloadOtel(telemetry: ResolvedTelemetry): void {
  if (telemetry !== false && loaded === undefined) void loadOtel();
}
