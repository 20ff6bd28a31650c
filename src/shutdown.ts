// The library installs no signal handlers itself. This helper, called by the application,
// closes workers and queues on SIGTERM/SIGINT: stop fetching, finish or hand back, then exit.
// A second signal forces it: running jobs are aborted and handed back at once, and the
// process exits as soon as that is done (or after a short grace when Redis does not answer).
import { InvalidOptionError } from './errors.js';
import { shown } from './validate.js';

/** Anything with a close() that accepts a timeout: Worker, Queue, QueueEvents. */
export interface Closeable {
  /** Closes it; `timeoutMs` is how long running work may take to finish. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

/** Options of {@link shutdownOnSignals}. */
export interface ShutdownOptions {
  /**
   * The signals to handle.
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: NodeJS.Signals[];
  /**
   * Passed to each close(): how long running jobs may take to finish after the first signal.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Exit the process once everything is closed (exit code 130 after SIGINT, 0 otherwise).
   * @default true
   */
  exit?: boolean;
  /**
   * After a second signal, how long handing back the running jobs may take before the process
   * exits anyway (their leases then expire and they are delivered again).
   * @default 3000
   */
  forceGraceMs?: number;
}

/**
 * Closes `closeables` when the process gets one of `signals`, then exits. The first signal
 * closes gracefully: workers stop fetching and let running jobs finish for up to `timeoutMs`.
 * A second signal forces it: running jobs are aborted through their signal and handed back
 * without using an attempt, and the process exits once that is done, or after `forceGraceMs`.
 *
 * @returns a function that removes the handlers.
 * @throws {InvalidOptionError} `timeoutMs` or `forceGraceMs` is not a number of ms >= 0.
 * @example
 * ```ts
 * const worker = new Worker('orders', processOrder, { connection });
 * const queue = new Queue('orders', { connection });
 * shutdownOnSignals([worker, queue], { timeoutMs: 10_000 });
 * ```
 */
export function shutdownOnSignals(closeables: Closeable[], opts: ShutdownOptions = {}): () => void {
  // checked now: a bad value found inside a signal handler would close nothing
  for (const key of ['timeoutMs', 'forceGraceMs'] as const) {
    const v = opts[key];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v < 0)) {
      throw new InvalidOptionError(`shutdownOnSignals: ${key} must be a number of ms >= 0; got ${shown(v)}`);
    }
  }
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = opts.exit !== false;
  let received = 0;
  let firstSignal: NodeJS.Signals | undefined;
  const exitCode = () => (firstSignal === 'SIGINT' ? 130 : 0);
  const closeAll = (timeoutMs: number | undefined) => Promise.allSettled(closeables.map((c) => c.close({ timeoutMs })));
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received === 1) {
      firstSignal = signal;
      void closeAll(opts.timeoutMs).then(() => {
        if (exit) process.exit(exitCode());
      });
    } else if (received === 2) {
      // a second close() with no wait shortens the first: running jobs are handed back now
      const grace = setTimeout(() => {
        if (exit) process.exit(exitCode());
      }, opts.forceGraceMs ?? 3000);
      grace.unref();
      void closeAll(0).then(() => {
        clearTimeout(grace);
        if (exit) process.exit(exitCode());
      });
    } else if (exit) {
      process.exit(exitCode());
    }
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
