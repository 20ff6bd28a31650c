// LazyAbort (src/worker/lazy-abort.ts): the processor's abort signal, made only when read. An
// abort before the signal is read must still reach it, with its reason. Redis-free.
import { describe, expect, it } from 'vitest';
import { LazyAbort } from '../../src/worker/lazy-abort.js';

describe('LazyAbort', () => {
  it('the signal is made on first read, and the same signal is returned after', () => {
    const lazy = new LazyAbort();
    const signal = lazy.signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    expect(lazy.signal).toBe(signal);
  });

  it('an abort after the signal was read aborts it with the reason, and fires its listeners once', () => {
    const lazy = new LazyAbort();
    const signal = lazy.signal;
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    const reason = new Error('lease lost');
    lazy.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    lazy.abort(new Error('second'));
    expect(fired).toBe(1);
    expect(signal.reason).toBe(reason);
  });

  it('an abort before the signal was read: the signal, read later, is already aborted with that reason', () => {
    const lazy = new LazyAbort();
    const reason = new Error('timeout');
    lazy.abort(reason);
    const signal = lazy.signal;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(lazy.signal).toBe(signal);
  });

  it('only the first abort counts, read before or after', () => {
    const lazy = new LazyAbort();
    lazy.abort('first');
    lazy.abort('second');
    expect(lazy.signal.reason).toBe('first');
  });

  it('each job has its own: aborting one leaves another alone', () => {
    const a = new LazyAbort();
    const b = new LazyAbort();
    a.abort('shutdown');
    expect(a.signal.aborted).toBe(true);
    expect(b.signal.aborted).toBe(false);
  });
});
