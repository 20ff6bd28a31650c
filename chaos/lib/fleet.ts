// The processes of a scenario: worker processes (started, SIGKILLed, SIGSTOPped, restarted)
// and producer processes, forked from the compiled chaos/worker.js and chaos/producer.js.
// Every fault is recorded in the history before it is sent. Whatever is still running when
// the runner exits is SIGKILLed. A child given a clock offset or step runs with its wall clock
// skewed (lib/skew-clock.ts, preloaded).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ClockConfig, ProducerChildConfig, WorkerChildConfig } from './child-config.js';
import type { FaultKind, HistoryWriter } from './history.js';

const workerFile = fileURLToPath(new URL('../worker.js', import.meta.url));
const producerFile = fileURLToPath(new URL('../producer.js', import.meta.url));
const skewClockFile = fileURLToPath(new URL('./skew-clock.js', import.meta.url));

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function spawnChild(file: string, config: ClockConfig): ChildProcess {
  // a skewed wall clock is set up before anything of sluice loads (lib/skew-clock.ts)
  const skewed = config.clockOffsetMs !== undefined || config.clockStep !== undefined;
  const skew = {
    CHAOS_CLOCK_OFFSET_MS: String(config.clockOffsetMs ?? 0),
    CHAOS_CLOCK_STEP_MS: String(config.clockStep?.byMs ?? 0),
    CHAOS_CLOCK_STEP_AFTER_MS: String(config.clockStep?.afterMs ?? 0),
  };
  const proc = fork(file, [], {
    env: { ...process.env, CHAOS_CHILD: JSON.stringify(config), ...(skewed ? skew : {}) },
    execArgv: [...process.execArgv, ...(skewed ? ['--import', skewClockFile] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

function message<T extends ChildMessage['t']>(proc: ChildProcess, t: T, timeoutMs: number): Promise<Extract<ChildMessage, { t: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child ${proc.pid}: no "${t}" message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (m: ChildMessage) => {
      if (m.t !== t) return;
      clearTimeout(timer);
      proc.off('message', onMessage);
      resolve(m as Extract<ChildMessage, { t: T }>);
    };
    proc.on('message', onMessage);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child ${proc.pid} exited (${signal ?? `code ${code}`}) before its "${t}" message`));
    });
  });
}

export interface WorkerHandle {
  readonly pid: number;
  readonly proc: ChildProcess;
  alive(): boolean;
}

export class Fleet {
  readonly workers: WorkerHandle[] = [];
  /** Processes the runner is ending itself (SIGKILL, close): their exit is expected. */
  private readonly ending = new Set<ChildProcess>();

  constructor(
    private readonly history: HistoryWriter,
    private readonly config: WorkerChildConfig,
  ) {}

  /** Starts a worker process and resolves once its Worker exists. */
  async start(overrides: Partial<WorkerChildConfig> = {}): Promise<WorkerHandle> {
    const proc = spawnChild(workerFile, { ...this.config, ...overrides });
    await message(proc, 'ready', 20_000);
    const handle: WorkerHandle = { pid: proc.pid!, proc, alive: () => proc.exitCode === null && proc.signalCode === null };
    this.workers.push(handle);
    // a worker never dies of Redis (invariant 12): an exit nobody asked for is recorded
    proc.once('exit', (code, signal) => {
      if (this.ending.has(proc)) return;
      this.history.send({ k: 'died', code, signal, pid: handle.pid, t: Date.now() });
      const i = this.workers.indexOf(handle);
      if (i >= 0) this.workers.splice(i, 1);
    });
    return handle;
  }

  /**
   * Signals the worker and records the fault once it took effect (for SIGKILL, once the
   * process is gone): everything the worker did before it is then before the fault's time.
   */
  async signal(worker: WorkerHandle, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): Promise<void> {
    const what: FaultKind = signal === 'SIGKILL' ? 'sigkill' : signal === 'SIGSTOP' ? 'sigstop' : 'sigcont';
    if (signal === 'SIGKILL') this.ending.add(worker.proc);
    const gone = signal === 'SIGKILL' ? new Promise((r) => worker.proc.once('exit', r)) : undefined;
    worker.proc.kill(signal);
    await gone;
    await this.history.write({ k: 'fault', what, pid: worker.pid, t: Date.now() });
    if (signal === 'SIGKILL' && this.workers.includes(worker)) this.workers.splice(this.workers.indexOf(worker), 1);
  }

  /** Closes every live worker (close() settles its jobs), SIGKILLing any that takes over 10 s. */
  async closeAll(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (!w.alive()) return;
        this.ending.add(w.proc);
        const exited = new Promise((r) => w.proc.once('exit', r));
        w.proc.send('close');
        const timer = setTimeout(() => w.proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.workers.length = 0;
  }
}

/** A producer process; `done` resolves with its counts when it has added every job. */
/** A producer process: its pid, and its counts once it has added everything. */
export interface ProducerHandle {
  pid: number;
  done: Promise<{ added: number; rejected: number }>;
}

export function startProducer(config: ProducerChildConfig): ProducerHandle {
  const proc = spawnChild(producerFile, config);
  // at least 30 min, and a paced producer's whole run (a soak adds for an hour) plus 5 min
  const pacedMs = config.rate > 0 ? (config.count / config.rate) * 1000 + 5 * 60_000 : 0;
  const done = message(proc, 'done', Math.max(30 * 60_000, pacedMs)).then((m) => ({ added: m.added, rejected: m.rejected }));
  return { pid: proc.pid!, done };
}
