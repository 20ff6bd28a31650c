// A worker's sandbox: the processor file runs in worker threads or child processes, at most
// `size` of them, each running one job at a time; the worker's own event loop stays free, so
// lease renewal, acks and events go on however hard a processor spins the CPU. A child that
// ends (crash, exit, out of memory, stopped because it ignored an abort) is dropped, and the
// next job starts a new one. Children start on demand and stay until the worker closes.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import type { Job } from '../job/job.js';
import type { Logger } from '../logger.js';
import type { Processor, ProcessorContext } from '../worker/worker-api.js';
import type { SandboxType } from './child-channel.js';
import { SandboxChild } from './sandbox-child.js';

/** Where and how a file processor runs (`new Worker(name, file, { sandbox })`). */
export interface SandboxOptions {
  /**
   * `thread`: worker threads (cheap to start, share the process's memory limit unless
   * `maxMemoryMb`); `process`: child processes (full isolation: a native crash or
   * `process.exit` takes only the child).
   * @default 'thread'
   */
  type?: SandboxType;
  /**
   * How many children run jobs at once (each runs one at a time).
   * @default the worker's concurrency
   */
  size?: number;
  /**
   * How long a processor may ignore its aborted signal (timeout, lost lease, close) before its
   * child is stopped and replaced.
   * @default 5000
   */
  killAfterMs?: number;
  /** Each child's heap limit in MB: a processor that needs more fails its attempt with "ran out of memory". */
  maxMemoryMb?: number;
}

/** The processor file as a file: URL, checked to exist (a typo fails the constructor, not every job). */
export function processorFileUrl(file: string | URL): string {
  const url = file instanceof URL ? file : file.startsWith('file:') ? new URL(file) : pathToFileURL(file);
  if (url.protocol !== 'file:') throw new InvalidOptionError(`a processor file must be a path or a file: URL; got ${url.href}`);
  if (!existsSync(fileURLToPath(url))) throw new InvalidOptionError(`the processor file ${fileURLToPath(url)} does not exist`);
  return url.href;
}

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`sandbox.${name} must be an integer >= 1; got ${String(value)}`);
  }
  return value;
}

export class SandboxPool<Data, Result> {
  private readonly type: SandboxType;
  private readonly size: number;
  private readonly killAfterMs: number;
  private readonly maxMemoryMb: number | undefined;
  private readonly idle: SandboxChild[] = [];
  private readonly all = new Set<SandboxChild>();
  /** The children running a job now. */
  private readonly busy = new Set<SandboxChild>();
  /** close() waits for the busy children: told when the last one is released. */
  private drained: (() => void) | undefined;
  private readonly waiters: ((child: SandboxChild) => void)[] = [];
  private closed = false;

  /** The processor the worker calls: runs each job in a child. */
  readonly processor: Processor<Data, Result> = (job, ctx) => this.run(job as Job<unknown, unknown>, ctx) as Promise<Result>;

  constructor(
    private readonly file: string,
    options: SandboxOptions | undefined,
    concurrency: number,
    private readonly logger: Logger,
  ) {
    const known = new Set(['type', 'size', 'killAfterMs', 'maxMemoryMb']);
    for (const key of Object.keys(options ?? {})) if (!known.has(key)) throw new InvalidOptionError(`unknown sandbox option "${key}"`);
    const type = options?.type ?? 'thread';
    if (type !== 'thread' && type !== 'process')
      throw new InvalidOptionError(`sandbox.type must be 'thread' or 'process'; got ${String(type)}`);
    this.type = type;
    this.size = positiveInt(options?.size, 'size', concurrency);
    this.killAfterMs = positiveInt(options?.killAfterMs, 'killAfterMs', 5000);
    this.maxMemoryMb = options?.maxMemoryMb === undefined ? undefined : positiveInt(options.maxMemoryMb, 'maxMemoryMb', 0);
  }

  private async run(job: Job<unknown, unknown>, ctx: ProcessorContext): Promise<unknown> {
    const child = await this.acquire();
    this.busy.add(child);
    try {
      return await child.run(job, ctx);
    } finally {
      this.release(child);
    }
  }

  private acquire(): Promise<SandboxChild> {
    for (;;) {
      const child = this.idle.pop();
      if (!child) break;
      if (child.alive) return Promise.resolve(child);
    }
    if (this.all.size < this.size) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(child: SandboxChild): void {
    this.busy.delete(child);
    if (this.closed) {
      child.kill();
      if (this.busy.size === 0) this.drained?.();
      return;
    }
    const next = this.waiters.shift();
    if (next) next(child.alive ? child : this.spawn());
    else if (child.alive) this.idle.push(child);
  }

  private spawn(): SandboxChild {
    const child = new SandboxChild({ type: this.type, file: this.file, maxMemoryMb: this.maxMemoryMb }, this.killAfterMs, (c, reason) =>
      this.onEnd(c, reason),
    );
    this.all.add(child);
    return child;
  }

  private onEnd(child: SandboxChild, reason: string): void {
    this.all.delete(child);
    const at = this.idle.indexOf(child);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closed) return;
    this.logger.warn({ child: child.label, reason }, 'a sandbox child ended; the next job starts a new one');
    // a job waiting for a child (the pool was full with this one) gets a new one
    const next = this.waiters.shift();
    if (next) next(this.spawn());
  }

  /**
   * Stops every child (the worker has settled its jobs, or gave up waiting for them): idle ones
   * at once, one still running a job when that run ends — the worker aborted its signal, and the
   * processor has `killAfterMs` to clean up and end, as after any abort — and the rest after
   * `killAfterMs`.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const child of this.idle) child.kill();
    this.idle.length = 0;
    if (this.busy.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.drained = resolve;
        timer = setTimeout(resolve, this.killAfterMs);
      });
      clearTimeout(timer);
    }
    for (const child of this.all) child.kill();
    this.all.clear();
  }
}

/**
 * The processor a Worker runs: the function given, or, for a file path or URL, a sandbox's;
 * `sandbox` options without a file are refused (they would change nothing).
 */
export function resolveProcessor<Data, Result>(
  processor: Processor<Data, Result> | string | URL,
  sandbox: SandboxOptions | undefined,
  concurrency: number,
  logger: Logger,
): { processor: Processor<Data, Result>; pool: SandboxPool<Data, Result> | undefined } {
  if (typeof processor === 'function') {
    if (sandbox !== undefined)
      throw new InvalidOptionError('the sandbox option needs a processor file: new Worker(name, "./processor.js", { sandbox })');
    return { processor, pool: undefined };
  }
  if (typeof processor !== 'string' && !(processor instanceof URL)) {
    throw new InvalidOptionError('Worker needs a processor: a function (job, { signal }) => result, or the path of a processor file');
  }
  const pool = new SandboxPool<Data, Result>(processorFileUrl(processor), sandbox, concurrency, logger);
  return { processor: pool.processor, pool };
}
