// The small message protocol between the bench (parent) and its worker/producer child
// processes, both sides. A child is forked from a compiled bench entry with its config as a
// JSON argument, then:  child → ready;  parent → start;  child → running (its worker or
// producer is connected) … child → done {result};  parent → stop;  child closes and exits.
// A child reports a failure as {type:'error'}; every parent-side wait has a timeout, and a
// child exits on its own if the parent goes away. The low-load scenarios add: worker →
// completed (one per job, relayed by the parent to the producer as 'next'), parent → mark
// (count time and CPU from now) and parent → finish (report now: a worker with no job count).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { own, sleep } from './cleanup.js';

export type Message =
  | { type: 'ready' }
  | { type: 'start' }
  | { type: 'running' }
  | { type: 'done'; result: unknown }
  | { type: 'stop' }
  | { type: 'completed' }
  | { type: 'next' }
  | { type: 'finish' }
  | { type: 'mark' }
  | { type: 'error'; message: string };

type MessageType = Message['type'];

// ---- parent side -----------------------------------------------------------------------------

export class ChildHandle {
  private static readonly live = new Set<ChildHandle>();
  private readonly inbox: Message[] = [];
  private waiters: { type: MessageType; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  private failure: Error | undefined;
  private readonly listeners = new Map<MessageType, () => void>();

  private constructor(
    readonly label: string,
    private readonly proc: ChildProcess,
  ) {
    proc.on('message', (raw) => {
      const msg = raw as Message;
      if (msg.type === 'error') this.fail(new Error(`${label}: ${msg.message}`));
      else if (this.listeners.has(msg.type)) this.listeners.get(msg.type)!();
      else this.deliver(msg);
    });
    ChildHandle.live.add(this);
    proc.on('exit', (code, signal) => {
      ChildHandle.live.delete(this);
      if (code !== 0 || this.waiters.length > 0) this.fail(new Error(`${label} exited (code ${code}, signal ${signal})`));
    });
    proc.on('error', (err) => this.fail(new Error(`${label}: ${err.message}`)));
  }

  /** Forks dist/bench/<entry>.js with `config` and waits for its 'ready'. */
  static async fork(entry: 'worker-child' | 'producer-child', label: string, config: object, timeoutMs = 20_000): Promise<ChildHandle> {
    const path = fileURLToPath(new URL(`../${entry}.js`, import.meta.url));
    const proc = own(fork(path, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] }));
    const child = new ChildHandle(label, proc);
    await child.waitFor('ready', timeoutMs);
    return child;
  }

  private deliver(msg: Message): void {
    const i = this.waiters.findIndex((w) => w.type === msg.type);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg);
    else this.inbox.push(msg);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.reject(this.failure);
  }

  /** Calls `fn` on every message of `type` (instead of queueing it for waitFor). */
  onEach(type: MessageType, fn: () => void): void {
    this.listeners.set(type, fn);
  }

  send(msg: Message): void {
    if (this.proc.connected) this.proc.send(msg);
  }

  /** The next message of `type` (possibly already received); rejects on a child error, exit or timeout. */
  waitFor(type: 'done', timeoutMs: number): Promise<{ type: 'done'; result: unknown }>;
  waitFor(type: MessageType, timeoutMs: number): Promise<Message>;
  waitFor(type: MessageType, timeoutMs: number): Promise<Message> {
    const i = this.inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.inbox.splice(i, 1)[0]!);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Message>((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m: Message) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.label}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asks the child to close cleanly; kills it if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    this.waiters = [];
    this.send({ type: 'stop' });
    await Promise.race([exited, sleep(timeoutMs)]);
    this.kill();
  }

  /** Kills every child still running (the runner calls it after each turn, so nothing leaks into the next). */
  static killAll(): void {
    for (const child of ChildHandle.live) child.kill();
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

// ---- child side ------------------------------------------------------------------------------

/** The config the parent passed on the command line. */
export function childConfig<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('bench child started without a config argument (it is forked by bench/run)');
  return JSON.parse(raw) as T;
}

export function sendToParent(msg: Message): void {
  process.send?.(msg);
}

/**
 * Runs a child: `onStart` on the parent's 'start', `onStop` on its 'stop' (then exits 0),
 * `onMessage` on any other message. Any error is reported to the parent and ends the process with code 1.
 */
export function serveChild(handlers: {
  onStart: () => Promise<void>;
  onStop: () => Promise<void>;
  onMessage?: (msg: Message) => void;
}): void {
  const die = (err: unknown) => {
    sendToParent({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    setTimeout(() => process.exit(1), 50).unref();
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  process.on('disconnect', () => process.exit(1));
  process.on('message', (raw) => {
    const msg = raw as Message;
    if (msg.type === 'start') handlers.onStart().catch(die);
    else if (msg.type === 'stop') {
      const force = setTimeout(() => process.exit(0), 8_000);
      force.unref();
      handlers
        .onStop()
        .catch(() => undefined)
        .finally(() => process.exit(0));
    } else handlers.onMessage?.(msg);
  });
  sendToParent({ type: 'ready' });
}
