// Process hygiene for the bench: every redis-server and child process we start is registered
// here and killed when the bench exits — normally, on an error, or on Ctrl-C — so that a
// failed or interrupted run never leaves servers or workers behind.
import type { ChildProcess } from 'node:child_process';

const owned = new Set<ChildProcess>();
const exitHooks = new Set<() => void>();
let installed = false;

function killAll(): void {
  for (const proc of owned) {
    if (proc.exitCode === null && proc.signalCode === null) {
      try {
        proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  owned.clear();
  for (const hook of exitHooks) {
    try {
      hook();
    } catch {
      // best effort at exit
    }
  }
  exitHooks.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping children and servers`);
      killAll();
      process.exit(130);
    });
  }
}

/** Kills `proc` when the bench exits, unless it ended first. */
export function own(proc: ChildProcess): ChildProcess {
  install();
  owned.add(proc);
  proc.once('exit', () => owned.delete(proc));
  return proc;
}

/** Runs `hook` synchronously at exit (e.g. removing a temp dir); returns an unregister function. */
export function atExit(hook: () => void): () => void {
  install();
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

/** Rejects after `ms` with a message naming what we waited for. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
