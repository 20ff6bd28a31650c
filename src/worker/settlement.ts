// Settles finished work with Redis for a worker: buffers the acks of completed jobs (the loop
// folds them into its next lease; this flushes them alone when the loop is idle), confirms them
// (or reports the ones refused because the lease was lost), and hands leases back. It does not
// fetch or run jobs.
import { LeaseLostError } from '../errors.js';
import type { PendingAck } from './job-runner.js';
import type { Job } from '../job/job.js';
import type { Scripts } from '../redis/scripts.js';
import { randomText } from '../redis/lease-token.js';

export const MAX_PER_CALL = 1000;
/** Return values carried by one ack call, in bytes (JSON text length). */
export const MAX_ACK_BYTES = 4 * 1024 * 1024;

export interface SettlementEvents<Data, Result> {
  completed(job: Job<Data, Result>, result: Result): void;
  lost(jobId: string, error: LeaseLostError): void;
  error(error: Error): void;
}

export class Settlement<Data, Result> {
  private pending: PendingAck<Data, Result>[] = [];
  private flushing: Promise<void> | undefined;
  /** Jobs whose completion Redis accepted. */
  completed = 0;

  constructor(
    private readonly scripts: Scripts,
    private readonly group: string,
    private readonly consumer: string,
    /** The lease script's configuration JSON (the ack-only call carries it too). */
    private readonly leaseConfigJson: string,
    private readonly events: SettlementEvents<Data, Result>,
  ) {}

  get size(): number {
    return this.pending.length;
  }

  push(ack: PendingAck<Data, Result>): void {
    this.pending.push(ack);
  }

  /**
   * Takes up to MAX_PER_CALL acks, to send with a lease, and at most about MAX_ACK_BYTES of
   * return values (at least one ack): one script call's arguments stay bounded in bytes too.
   */
  take(): PendingAck<Data, Result>[] {
    let n = 0;
    let bytes = 0;
    while (n < this.pending.length && n < MAX_PER_CALL) {
      bytes += this.pending[n]!.returnvalue.length;
      if (n > 0 && bytes > MAX_ACK_BYTES) break;
      n++;
    }
    return this.pending.splice(0, n);
  }

  /**
   * Acks whose call failed go back to the front, to be sent again. After a call that got no
   * answer (`unanswered`), Redis may have applied them already: they are marked, and Redis then
   * counts an ack it finds already done by the same delivery as accepted (complete.lua).
   */
  putBack(acks: PendingAck<Data, Result>[], unanswered = false): void {
    if (unanswered) for (const ack of acks) ack.resent = true;
    this.pending.unshift(...acks);
  }

  /**
   * Hands back what a call that got no answer may have leased (tokens nonce.k), so that those
   * jobs go to the next worker now rather than after their lease, and count no stall.
   * Bounded: see release.lua. Retried while Redis is unreachable (the client queues it).
   */
  async releaseCall(nonce: string): Promise<void> {
    try {
      await this.scripts.releaseCall(this.group, nonce);
    } catch (err) {
      this.events.error(err as Error);
    }
  }

  /** Redis answered a call that carried these acks: report each as completed or lost. */
  confirm(acks: PendingAck<Data, Result>[], refused: string[]): void {
    const lost = refused.length > 0 ? new Set(refused) : undefined;
    for (const ack of acks) {
      if (lost?.has(ack.id)) this.events.lost(ack.id, new LeaseLostError(ack.id));
      else {
        this.completed++;
        ack.job.finishedOn = Date.now();
        ack.job.returnvalue = ack.result;
        this.events.completed(ack.job, ack.result);
      }
    }
  }

  /** Sends the buffered acks now (with no lease), one flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.pending.length > 0) {
        const acks = this.take();
        try {
          const nonce = randomText(6);
          const { refused } = await this.scripts.complete(this.group, this.consumer, nonce, 0, this.leaseConfigJson, acks);
          this.confirm(acks, refused);
        } catch (err) {
          this.putBack(acks, true);
          this.events.error(err as Error);
          return;
        }
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Hands leases back without using an attempt (`started`: the delivery stays counted). */
  async handBack(pairs: [string, string][], started: boolean): Promise<void> {
    try {
      for (let i = 0; i < pairs.length; i += MAX_PER_CALL) {
        await this.scripts.release(this.group, started, pairs.slice(i, i + MAX_PER_CALL));
      }
    } catch (err) {
      this.events.error(err as Error);
    }
  }
}
