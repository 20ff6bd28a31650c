// How long to wait before the next attempt of a failed job. Pure: `random` is a parameter so
// that tests need no clock or luck.
import { InvalidOptionError } from '../errors.js';

export type BuiltinBackoff = 'fixed' | 'exponential';

/**
 * How long a failed job waits before its next attempt (the `backoff` job option, used when
 * `attempts` is over 1). The delay is counted in ms from the failure.
 *
 * @example The three kinds of backoff
 * ```ts
 * // fixed: every retry waits 5 s
 * await queue.add('sync', data, { attempts: 3, backoff: { type: 'fixed', delay: 5_000 } });
 *
 * // exponential: 1 s, 2 s, 4 s, 8 s..., each cut by up to 30% at random
 * await queue.add('sync', data, { attempts: 6, backoff: { type: 'exponential', delay: 1_000, jitter: 0.3 } });
 *
 * // custom: a strategy registered on the worker, by name
 * await queue.add('sync', data, { attempts: 4, backoff: { type: 'linear' } });
 * const worker = new Worker('sync', processor, {
 *   connection,
 *   backoffStrategies: { linear: (attemptsMade) => attemptsMade * 10_000 },
 * });
 * ```
 */
export interface BackoffOptions {
  /**
   * `'fixed'` (every retry waits `delay`), `'exponential'` (`delay`, then twice that, four
   * times...: `delay × 2^(attemptsMade - 1)`), or the name of a strategy registered in the
   * worker's `backoffStrategies` option. A name the worker does not know makes it report an
   * `InvalidOptionError` on its 'error' event, and the retry waits 0 ms.
   */
  type: BuiltinBackoff | (string & {});
  /**
   * Base delay in ms, a number >= 0. A custom strategy does not use it.
   * @default 0
   */
  delay?: number;
  /**
   * A fraction from 0 to 1: each delay is cut by up to this fraction at random, so that jobs
   * that failed together do not all retry at the same moment.
   * @default 0: no jitter.
   */
  jitter?: number;
}

/**
 * A custom backoff strategy, registered by name in the worker's `backoffStrategies` option and
 * chosen with the job option `backoff: { type: name }`.
 * @param attemptsMade - failed attempts so far, including the one that just failed (1 after the first failure).
 * @param error - the error the attempt failed with.
 * @param jobData - the job's data.
 * @returns the delay in ms before the next attempt (0 = at once); a negative value counts as 0.
 */
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
