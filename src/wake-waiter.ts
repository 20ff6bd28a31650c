// Idle workers block in Redis (invariant 5): XREAD BLOCK on the job stream and the wake
// stream, from the last ids the lease script saw, so nothing added since can be missed.
// A watchdog guards the blocking read: if Redis does not answer within the block time plus a
// grace period, the connection is presumed dead (half-open socket, failover) and is reset —
// the failure where a worker silently stops consuming after a reconnect.
// Redis ends blocked reads on timeout only at its `hz` tick (100 ms by default), too coarse for
// a delayed job's due time: a local timer ends such a wait on time with CLIENT UNBLOCK.
import type { Redis } from 'ioredis';
import { guardBlockingRead } from './blocking-read.js';
import type { Logger } from './logger.js';

export type WakeResult = 'woken' | 'timeout' | 'error' | 'watchdog';

export class WakeWaiter {
  /** Last time Redis answered the blocking connection (ms, local clock; for health only). */
  lastAnswerAt = Date.now();
  private interrupted = false;
  private clientId: string | undefined;

  constructor(
    private readonly client: Redis,
    /** A non-blocking connection, used to unblock `client` when a due time comes. */
    private readonly control: Redis,
    private readonly graceMs: number,
    private readonly logger: Logger,
  ) {
    // the id changes with every reconnect
    client.on('ready', () => {
      this.clientId = undefined;
    });
  }

  /**
   * Blocks until one of the streams gets an entry after its id, or `timeoutMs` passes.
   * With `exact`, the timeout is a due time and is kept to the millisecond.
   */
  async wait(streams: [key: string, fromId: string][], timeoutMs: number, exact = false): Promise<WakeResult> {
    const blockMs = Math.max(1, Math.ceil(timeoutMs));
    this.interrupted = false;
    let alarm: NodeJS.Timeout | undefined;
    if (exact && blockMs <= 5) {
      // too short to block and unblock reliably: the due time is a few ms away
      await new Promise((resolve) => setTimeout(resolve, blockMs));
      return 'timeout';
    }
    if (exact) {
      try {
        this.clientId ??= String(await this.client.client('ID'));
      } catch {
        return 'error';
      }
      const id = this.clientId;
      alarm = setTimeout(() => {
        this.control.client('UNBLOCK', id).catch(() => undefined);
      }, blockMs);
    }
    const read = this.client
      .call('XREAD', 'COUNT', '1', 'BLOCK', String(exact ? blockMs + 200 : blockMs), 'STREAMS', ...streams.map((s) => s[0]), ...streams.map((s) => s[1]))
      .then((reply) => {
        this.lastAnswerAt = Date.now();
        return (reply ? 'woken' : 'timeout') as WakeResult;
      })
      .catch((err: unknown) => {
        if (!this.interrupted) this.logger.warn({ err }, 'blocking read failed; the worker will reconnect and carry on');
        return 'error' as WakeResult;
      });
    const outcome = await guardBlockingRead(this.client, read, blockMs + (exact ? 200 : 0) + this.graceMs);
    clearTimeout(alarm);
    if (outcome.kind === 'answer') return outcome.value;
    if (outcome.kind === 'silent') {
      this.logger.warn({ blockMs, graceMs: this.graceMs }, 'blocking read got no answer in time; the connection was reset');
      this.interrupted = true;
      return 'watchdog';
    }
    return 'error';
  }

  /** Ends a wait in progress (on close). */
  interrupt(): void {
    this.interrupted = true;
    this.client.disconnect(false);
  }
}
