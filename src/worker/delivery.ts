// One delivery of a job to this worker while it runs: the processor's context (its abort
// signal, made only when read, and the lease token), the job's hold on its lease (extendLease,
// the DelayedError time), and the runner's record of it. One object per job where there were
// six (each closure and object literal is garbage a c=100 worker makes 30,000 times a second).
import type { LeaseHandle } from '../job/job-context.js';
import type { Job } from '../job/job.js';
import type { ProcessSpan } from '../telemetry/consumer-spans.js';
import { LazyAbort } from './lazy-abort.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { ProcessorContext } from './worker-api.js';

export class Delivery<Data, Result> extends LazyAbort implements ProcessorContext, LeaseHandle {
  /** The job, once built from the lease reply. */
  job!: Job<Data, Result>;
  /** Its outcome is decided (done, failed, timed out, lost, handed back): later ones are ignored. */
  settled = false;
  /** The delivery's OpenTelemetry span (telemetry/consumer-spans.ts), when tracing. */
  span: ProcessSpan | undefined;
  /** Set by the processor (job.deferUntil) for a DelayedError without a delay (ms, local clock). */
  deferredUntil: number | undefined;

  constructor(
    private readonly keeper: LeaseKeeper,
    readonly id: string,
    readonly token: string,
  ) {
    super();
  }

  extend(ms: number): Promise<boolean> {
    return this.keeper.extend(this.id, this.token, ms);
  }

  deferUntil(timestamp: number): void {
    this.deferredUntil = timestamp;
  }
}
