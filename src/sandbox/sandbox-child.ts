// One child of a sandbox pool, seen from the worker: it starts (loads the processor file), runs
// one job at a time, answers the job's calls (progress, logs, lease) with the parent's Job,
// forwards the job's abort and, when the processor ignores it for `killAfterMs`, stops the
// child. A child that ends mid-job fails that attempt with SandboxError saying how it ended.
import { DelayedError, RateLimitError, SandboxError, UnrecoverableError } from '../errors.js';
import type { Job } from '../job/job.js';
import type { ProcessorContext } from '../worker/worker-api.js';
import { type ChildChannel, spawnChild, type SpawnOptions } from './child-channel.js';
import { type ChildMessage, type SerializedError, serializeError } from './protocol.js';

interface Running {
  job: Job<unknown, unknown>;
  resolve(value: unknown): void;
  reject(err: Error): void;
}

function validMs(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isInteger(ms) && ms >= 0;
}

/** The child's error as the worker's: sluice's own errors keep their meaning (no retry, rate limit). */
function rebuild(e: SerializedError): Error {
  let err: Error;
  if (e.code === 'UNRECOVERABLE') err = new UnrecoverableError(e.message);
  else if (e.code === 'RATE_LIMITED' && validMs(e.ms)) err = new RateLimitError(e.ms, e.message);
  else if (e.code === 'DELAYED' && (e.ms === undefined || validMs(e.ms))) err = new DelayedError(e.ms);
  else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}

export class SandboxChild {
  private readonly channel: ChildChannel;
  private readonly ready: Promise<void>;
  private running: Running | undefined;
  private ended: string | undefined;
  private stopping = false;
  private markReady!: () => void;
  private failStart!: (err: Error) => void;

  constructor(
    opts: SpawnOptions,
    private readonly killAfterMs: number,
    /** The child ended (crashed, or stopped): the pool drops it. */
    private readonly onEnd: (child: SandboxChild, reason: string) => void,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failStart = reject;
    });
    this.ready.catch(() => undefined); // a child that fails to start is reported by run()
    this.channel = spawnChild(opts, { message: (m) => this.onMessage(m), exit: (reason) => this.onExit(reason) });
  }

  get label(): string {
    return this.channel.label;
  }

  /** Whether it can take a job: not ended, and not being stopped. */
  get alive(): boolean {
    return this.ended === undefined && !this.stopping;
  }

  /** Runs one job in the child; rejects with the processor's error, or SandboxError when the child ended. */
  async run(job: Job<unknown, unknown>, ctx: ProcessorContext): Promise<unknown> {
    await this.ready;
    const { signal } = ctx;
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      this.channel.send({ t: 'abort', reason: serializeError(signal.reason) });
      // a processor that ignores its signal is stopped; the attempt ends as the abort says
      killTimer = setTimeout(() => {
        const reason = signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason));
        this.running?.reject(reason);
        this.running = undefined;
        this.kill();
      }, this.killAfterMs);
      killTimer.unref();
    };
    try {
      return await new Promise<unknown>((resolve, reject) => {
        if (this.ended !== undefined) throw new SandboxError(`the sandbox ${this.label} ${this.ended}`);
        this.running = { job, resolve, reject };
        this.channel.send({ t: 'run', job: fieldsOf(job) });
        // after 'run': the child must have the job's controller to abort it
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
      this.running = undefined;
    }
  }

  /** Stops the child now (its end is told when it has exited). */
  kill(): void {
    this.stopping = true;
    this.channel.kill();
  }

  private onMessage(m: ChildMessage): void {
    if (m.t === 'ready') this.markReady();
    else if (m.t === 'load-failed') {
      this.failStart(new SandboxError(`the sandbox could not load the processor: ${m.error.message}`));
      this.kill();
    } else if (m.t === 'done') this.running?.resolve(m.value);
    else if (m.t === 'failed') this.running?.reject(rebuild(m.error));
    else if (m.t === 'call') void this.answer(m);
  }

  private async answer(m: Extract<ChildMessage, { t: 'call' }>): Promise<void> {
    const job = this.running?.job;
    try {
      if (!job) throw new Error('no job is running in this sandbox child');
      let value: unknown;
      if (m.method === 'updateProgress') value = await job.updateProgress(m.args[0] as number | object);
      else if (m.method === 'log') value = await job.log(m.args[0] as string);
      else if (m.method === 'extendLease') value = await job.extendLease(m.args[0] as number);
      else throw new Error(`unknown sandbox call ${String(m.method)}`);
      this.channel.send({ t: 'reply', n: m.n, ok: true, value });
    } catch (err) {
      this.channel.send({ t: 'reply', n: m.n, ok: false, error: serializeError(err) });
    }
  }

  private onExit(reason: string): void {
    this.ended = reason;
    this.failStart(new SandboxError(`the sandbox ${this.label} ${reason} before it loaded the processor`));
    this.running?.reject(new SandboxError(`the sandbox ${this.label} running the job ${reason}`));
    this.running = undefined;
    this.onEnd(this, reason);
  }
}

function fieldsOf(job: Job<unknown, unknown>) {
  return {
    queueName: job.queueName,
    group: job.group,
    id: job.id,
    name: job.name,
    data: job.data,
    opts: { ...job.opts } as Record<string, unknown>,
    timestamp: job.timestamp,
    attemptsMade: job.attemptsMade,
    deliveries: job.deliveries,
    stalls: job.stalls,
    processedOn: job.processedOn,
    progress: job.progress,
    token: job.token,
  };
}
