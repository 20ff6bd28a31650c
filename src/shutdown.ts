// The library installs no signal handlers itself. This helper, called by the application,
// closes workers and queues on SIGTERM/SIGINT: stop fetching, finish or hand back, then exit.

export interface Closeable {
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

export interface ShutdownOptions {
  signals?: NodeJS.Signals[];
  /** Passed to each close() (default 30 s). */
  timeoutMs?: number;
  /** Exit the process once everything is closed (default true). */
  exit?: boolean;
}

/** Installs the handlers; returns a function that removes them. */
export function shutdownOnSignals(closeables: Closeable[], opts: ShutdownOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let started = false;
  const handler = (signal: NodeJS.Signals) => {
    if (started) return;
    started = true;
    void Promise.allSettled(closeables.map((c) => c.close({ timeoutMs: opts.timeoutMs }))).then(() => {
      if (opts.exit !== false) process.exit(signal === 'SIGINT' ? 130 : 0);
    });
  };
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
