// How long to wait before the next attempt of a failed job. Pure: `random` is a parameter so
// that tests need no clock or luck.
import { InvalidOptionError } from './errors.js';

export type BuiltinBackoff = 'fixed' | 'exponential';

export interface BackoffOptions {
  /** 'fixed', 'exponential', or the name of a strategy registered on the worker. */
  type: BuiltinBackoff | (string & {});
  /** Base delay in ms. */
  delay?: number;
  /** 0..1: the delay is reduced by up to this fraction at random, to spread retries out. */
  jitter?: number;
}

/** A custom strategy: returns the delay in ms before the next attempt (0 = at once). */
export type BackoffStrategy = (attemptsMade: number, error: Error, jobData: unknown) => number;

export function validateBackoff(backoff: unknown): void {
  if (backoff === undefined) return;
  if (typeof backoff === 'number') {
    if (!Number.isFinite(backoff) || backoff < 0) throw new InvalidOptionError(`backoff must be a delay in ms >= 0, got ${backoff}`);
    return;
  }
  if (typeof backoff !== 'object' || backoff === null || typeof (backoff as BackoffOptions).type !== 'string') {
    throw new InvalidOptionError(`backoff must be a number (ms) or { type, delay?, jitter? }`);
  }
  const { delay, jitter } = backoff as BackoffOptions;
  if (delay !== undefined && (!Number.isFinite(delay) || delay < 0)) {
    throw new InvalidOptionError(`backoff.delay must be a number of ms >= 0, got ${delay}`);
  }
  if (jitter !== undefined && (!Number.isFinite(jitter) || jitter < 0 || jitter > 1)) {
    throw new InvalidOptionError(`backoff.jitter must be between 0 and 1, got ${jitter}`);
  }
}

export function backoffDelay(
  backoff: number | BackoffOptions | undefined,
  attemptsMade: number,
  error: Error,
  jobData: unknown,
  strategies: Record<string, BackoffStrategy>,
  random: () => number = Math.random,
): number {
  if (backoff === undefined) return 0;
  if (typeof backoff === 'number') return backoff;
  const base = backoff.delay ?? 0;
  let delay: number;
  if (backoff.type === 'fixed') delay = base;
  else if (backoff.type === 'exponential') delay = base * 2 ** Math.max(0, attemptsMade - 1);
  else {
    const strategy = strategies[backoff.type];
    if (!strategy) {
      throw new InvalidOptionError(`unknown backoff type "${backoff.type}": register it in the worker's backoffStrategies option`);
    }
    delay = strategy(attemptsMade, error, jobData);
  }
  if (backoff.jitter) delay = delay * (1 - backoff.jitter * random());
  return Math.max(0, Math.round(delay));
}
