// The messages between a worker and its sandbox children (worker threads or child processes).
// The parent sends a job to run, answers the calls its processor makes (progress, logs, lease
// extensions: they need the parent's Redis connection and lease), and says when to abort; the
// child answers with the result or the error. Everything crosses as structured-clone / JSON data.

/** The fields of a job a sandboxed processor sees (what the parent's Job holds, as data). */
export interface SandboxJobFields {
  queueName: string;
  group: string;
  id: string;
  name: string;
  data: unknown;
  opts: Record<string, unknown>;
  timestamp: number;
  attemptsMade: number;
  deliveries: number;
  stalls: number;
  processedOn: number | undefined;
  progress: unknown;
  token: string | undefined;
}

/** A thrown error, as data: enough to rebuild sluice's own errors on the parent's side. */
export interface SerializedError {
  name: string;
  message: string;
  stack: string | undefined;
  /** `code` of a SluiceError (UNRECOVERABLE and RATE_LIMITED change what the worker does). */
  code: string | undefined;
  /** RateLimitError's `ms`, DelayedError's `delayMs`. */
  ms: number | undefined;
}

/** What a processor inside a child may ask its parent to do for the job it runs. */
export type SandboxCallMethod = 'updateProgress' | 'log' | 'extendLease';

export type ParentMessage =
  /** Run this job (one at a time per child). */
  | { t: 'run'; job: SandboxJobFields }
  /** The job's signal aborts (timeout, lost lease, close): `reason` is the parent's error. */
  | { t: 'abort'; reason: SerializedError }
  /** The answer to the child's call `n`. */
  | { t: 'reply'; n: number; ok: true; value: unknown }
  | { t: 'reply'; n: number; ok: false; error: SerializedError };

export type ChildMessage =
  /** The processor file loaded: the child takes jobs. */
  | { t: 'ready' }
  /** The processor file could not be loaded, or exports no function. */
  | { t: 'load-failed'; error: SerializedError }
  /** The processor asks the parent to call `method` on its job; the parent replies with `n`. */
  | { t: 'call'; n: number; method: SandboxCallMethod; args: unknown[] }
  /** The job's run ended with a result, or an error. */
  | { t: 'done'; value: unknown }
  | { t: 'failed'; error: SerializedError };

/** An error as data (anything thrown: an Error or not). */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; ms?: unknown; delayMs?: unknown };
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
      code: typeof e.code === 'string' ? e.code : undefined,
      ms: typeof e.ms === 'number' ? e.ms : typeof e.delayMs === 'number' ? e.delayMs : undefined,
    };
  }
  return { name: 'Error', message: String(err), stack: undefined, code: undefined, ms: undefined };
}
