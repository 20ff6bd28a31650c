// One sandbox child, a worker thread or a child process, behind one small interface: send a
// message, hear its messages and its end, stop it hard. The pool (sandbox-pool.ts) does not
// care which kind it holds. A child's end is told once, with a reason a person can act on
// (its exit code, the signal that killed it, or "ran out of memory").
import { type ChildProcess, fork } from 'node:child_process';
import { Worker as Thread } from 'node:worker_threads';
import { compiledEntry } from '../compiled-entry.js';
import type { ChildMessage, ParentMessage } from './protocol.js';

export type SandboxType = 'thread' | 'process';

export interface ChildChannel {
  /** For logs: `thread 3` or `process 12345`. */
  readonly label: string;
  send(message: ParentMessage): void;
  /** Stops the child at once (terminate / SIGKILL); its end is still told. */
  kill(): void;
}

export interface ChildHandlers {
  message(message: ChildMessage): void;
  /** The child ended (crashed, exited, ran out of memory, or was killed): told once. */
  exit(reason: string): void;
}

export interface SpawnOptions {
  type: SandboxType;
  /** The processor file, as a file: URL. */
  file: string;
  /** The child's heap limit (MB); undefined: Node's default. */
  maxMemoryMb: number | undefined;
}

/** The child's entry, compiled next to this file (or under dist/, run from source). */
function childEntry(): string {
  return compiledEntry(new URL('./child-main.js', import.meta.url), "the sandbox's child entry");
}

export function spawnChild(opts: SpawnOptions, handlers: ChildHandlers): ChildChannel {
  return opts.type === 'thread' ? spawnThread(opts, handlers) : spawnProcess(opts, handlers);
}

function once(exit: (reason: string) => void): (reason: string) => void {
  let told = false;
  return (reason) => {
    if (told) return;
    told = true;
    exit(reason);
  };
}

function spawnThread(opts: SpawnOptions, handlers: ChildHandlers): ChildChannel {
  const thread = new Thread(childEntry(), {
    workerData: { file: opts.file },
    ...(opts.maxMemoryMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.maxMemoryMb } } : {}),
  });
  const exit = once(handlers.exit);
  let crash: string | undefined;
  thread.on('message', (m: ChildMessage) => handlers.message(m));
  thread.on('error', (err: Error & { code?: string }) => {
    crash = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory' : `crashed: ${err.message}`;
  });
  thread.on('exit', (code) => exit(crash ?? `exited with code ${code}`));
  const label = `thread ${thread.threadId}`;
  return {
    label,
    send: (message) => thread.postMessage(message),
    kill: () => void thread.terminate(),
  };
}

function spawnProcess(opts: SpawnOptions, handlers: ChildHandlers): ChildChannel {
  const execArgv = [...process.execArgv, ...(opts.maxMemoryMb ? [`--max-old-space-size=${opts.maxMemoryMb}`] : [])];
  const proc: ChildProcess = fork(childEntry(), [], {
    env: { ...process.env, SLUICE_SANDBOX_FILE: opts.file },
    execArgv,
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exit = once(handlers.exit);
  let killed = false;
  proc.on('message', (m) => handlers.message(m as ChildMessage));
  proc.on('error', (err) => exit(`could not run: ${err.message}`));
  proc.on('exit', (code, signal) => {
    // V8 aborts on a full heap: SIGABRT, or exit code 134 where a shell reports it
    if (!killed && (signal === 'SIGABRT' || code === 134)) exit('ran out of memory (or aborted)');
    else exit(signal ? `was killed by ${signal}` : `exited with code ${code}`);
  });
  return {
    label: `process ${proc.pid}`,
    send: (message) => {
      if (proc.connected) proc.send(message);
    },
    kill: () => {
      killed = true;
      proc.kill('SIGKILL');
    },
  };
}
