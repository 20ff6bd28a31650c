// backoffDelay and validateBackoff (src/job/backoff.ts): the delay before a failed job's next
// attempt. Redis-free: `random` is passed in, so jitter is checked with fixed values.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { backoffDelay, validateBackoff, type BackoffStrategy } from '../../src/job/backoff.js';

const err = new Error('attempt failed');
const none: Record<string, BackoffStrategy> = {};
const delay = (backoff: Parameters<typeof backoffDelay>[0], attemptsMade: number, random = () => 0.5) =>
  backoffDelay(backoff, attemptsMade, err, {}, none, random);

describe('backoffDelay', () => {
  it('no backoff: the retry may run at once; a number is the delay as given', () => {
    expect(delay(undefined, 3)).toBe(0);
    expect(delay(0, 1)).toBe(0);
    expect(delay(1500, 1)).toBe(1500);
    expect(delay(1500, 7)).toBe(1500);
  });

  it('fixed: every retry waits `delay` (0 when it is left out)', () => {
    for (const attempts of [1, 2, 10]) expect(delay({ type: 'fixed', delay: 2000 }, attempts)).toBe(2000);
    expect(delay({ type: 'fixed' }, 4)).toBe(0);
  });

  it('exponential: delay × 2^(attemptsMade - 1), and the base delay for attempt 0', () => {
    const exp = { type: 'exponential', delay: 1000 } as const;
    expect([1, 2, 3, 4, 5].map((n) => delay(exp, n))).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(delay(exp, 0)).toBe(1000);
  });

  it('jitter cuts each delay by up to the fraction, by the random value given', () => {
    const b = { type: 'exponential', delay: 1000, jitter: 0.5 } as const;
    expect(delay(b, 3, () => 0)).toBe(4000); // no cut
    expect(delay(b, 3, () => 0.5)).toBe(3000); // 4000 × (1 - 0.5 × 0.5)
    expect(delay(b, 3, () => 0.999_999)).toBe(2000); // at most half cut
    expect(delay({ type: 'fixed', delay: 1000, jitter: 1 }, 1, () => 0.25)).toBe(750);
    // without jitter, random is not consulted
    let asked = 0;
    expect(
      delay({ type: 'fixed', delay: 1000 }, 1, () => {
        asked++;
        return 0.9;
      }),
    ).toBe(1000);
    expect(asked).toBe(0);
  });

  it('rounds to whole ms', () => {
    expect(delay({ type: 'fixed', delay: 1000, jitter: 0.3 }, 1, () => 1 / 3)).toBe(900);
    expect(delay({ type: 'fixed', delay: 10.6 }, 1)).toBe(11);
  });

  it('a custom strategy gets attemptsMade, the error and the data; a negative delay counts as 0', () => {
    const seen: unknown[] = [];
    const strategies: Record<string, BackoffStrategy> = {
      linear: (n, e, data) => {
        seen.push([n, e.message, data]);
        return n * 10_000;
      },
      negative: () => -500,
    };
    expect(backoffDelay({ type: 'linear' }, 3, err, { id: 7 }, strategies)).toBe(30_000);
    expect(seen).toEqual([[3, 'attempt failed', { id: 7 }]]);
    expect(backoffDelay({ type: 'negative' }, 1, err, {}, strategies)).toBe(0);
    expect(backoffDelay({ type: 'linear', jitter: 0.5 }, 1, err, {}, strategies, () => 1)).toBe(5000);
  });

  it('a strategy the worker does not know: InvalidOptionError naming it', () => {
    expect(() => delay({ type: 'linear' }, 1)).toThrow(InvalidOptionError);
    expect(() => delay({ type: 'linear' }, 1)).toThrow(/unknown backoff type "linear"/);
  });
});

describe('validateBackoff', () => {
  it('accepts no backoff, a delay >= 0, and { type, delay?, jitter? } in range', () => {
    for (const ok of [undefined, 0, 2500, { type: 'fixed' }, { type: 'exponential', delay: 0, jitter: 0 }, { type: 'custom', jitter: 1 }]) {
      expect(() => validateBackoff(ok)).not.toThrow();
    }
  });

  it('refuses negative or non-finite delays, an object without a type, and jitter outside 0..1', () => {
    for (const bad of [
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'fixed',
      null,
      {},
      { type: 3 },
      { type: 'fixed', delay: -1 },
      { type: 'fixed', delay: Number.NaN },
      { type: 'fixed', jitter: -0.1 },
      { type: 'fixed', jitter: 1.5 },
      { type: 'fixed', jitter: Number.NaN },
    ]) {
      expect(() => validateBackoff(bad), JSON.stringify(bad)).toThrow(InvalidOptionError);
    }
  });
});
