// Worker processes for fault tests: fork the fixture, collect its IPC messages, kill it.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { waitFor } from './wait.js';

const fixture = fileURLToPath(new URL('../fixtures/worker-process.mjs', import.meta.url));

export interface WorkerMessage {
  t: 'ready' | 'start' | 'end' | 'done' | 'lost' | 'stalled' | 'error';
  /** An error: its message. */
  message?: string;
  id: string;
  deliveries?: number;
  /** A start: the lease time (ms, Redis time). */
  at?: number;
  /** start / end of an attempt: a high-resolution wall clock (ms), comparable across processes. */
  hr?: number;
  /** A start: the job's data. */
  data?: unknown;
}

export interface WorkerProcess {
  proc: ChildProcess;
  messages: WorkerMessage[];
  count(t: WorkerMessage['t']): number;
  until(t: WorkerMessage['t'], n: number, timeoutMs?: number): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

export function startWorkerProcess(env: Record<string, string | number>): WorkerProcess {
  const proc = fork(fixture, [], {
    env: { ...process.env, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(proc);
  const messages: WorkerMessage[] = [];
  proc.on('message', (m) => messages.push(m as WorkerMessage));
  const count = (t: WorkerMessage['t']) => messages.filter((m) => m.t === t).length;
  return {
    proc,
    messages,
    count,
    until: (t, n, timeoutMs = 20_000) => waitFor(() => count(t) >= n, timeoutMs, `${n} "${t}" messages from worker process`),
    kill: (signal) => proc.kill(signal),
  };
}
