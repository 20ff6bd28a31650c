// Idle workers block in Redis (invariant 5, docs/invariants.md): BZPOPMIN on their group's wake marker, a sorted
// set of one member scored by when work is ready (lua/includes/wake.lua). Whatever makes work
// ready (an add, a retry, a resume, a reclaim) writes the marker, and the lease script sets it
// to the next due time, so nothing can be missed between a lease and the block; and a marker
// wakes one worker, not every idle one.
// A watchdog guards the blocking read: if Redis does not answer within the block time plus a
// grace period, the connection is presumed dead (half-open socket, failover) and is reset —
// the failure where a worker silently stops consuming after a reconnect.
// Redis ends blocked reads on timeout only at its `hz` tick (100 ms by default), too coarse for
// a delayed job's due time: a local timer ends such a wait on time with CLIENT UNBLOCK.
import type { Redis } from 'ioredis';
import { guardBlockingRead } from '../redis/blocking-read.js';
import { cutConnection } from '../redis/connection.js';
import type { Logger } from '../logger.js';

/**
 * woken: a member of the marker was taken: 'm' (work, ready at `at`, ms of Redis time; 0: now)
 * or 'b' (a backup: check at `at` that the work due then was done, see src/worker/idle-wait.ts).
 */
export type WakeResult = { kind: 'woken'; member: string; at: number } | { kind: 'timeout' | 'error' | 'watchdog' };

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
   * Blocks until the marker can be taken, or `timeoutMs` passes. With `exact`, the timeout is a
   * due time and is kept to the millisecond.
   */
  async wait(marker: string, timeoutMs: number, exact = false): Promise<WakeResult> {
    const blockMs = Math.max(1, Math.ceil(timeoutMs));
    this.interrupted = false;
    let alarm: NodeJS.Timeout | undefined;
    if (exact && blockMs <= 5) {
      // too short to block and unblock reliably: the due time is a few ms away
      await new Promise((resolve) => setTimeout(resolve, blockMs));
      return { kind: 'timeout' };
    }
    if (exact) {
      try {
        this.clientId ??= String(await this.client.client('ID'));
      } catch {
        return { kind: 'error' };
      }
      const id = this.clientId;
      alarm = setTimeout(() => {
        this.control.client('UNBLOCK', id).catch(() => undefined);
      }, blockMs);
    }
    const read = this.client
      .call('BZPOPMIN', marker, String((exact ? blockMs + 200 : blockMs) / 1000))
      .then((reply): WakeResult => {
        this.lastAnswerAt = Date.now();
        // [key, member, score], or null on timeout
        return Array.isArray(reply) ? { kind: 'woken', member: String(reply[1]), at: Number(reply[2]) } : { kind: 'timeout' };
      })
      .catch((err: unknown): WakeResult => {
        if (!this.interrupted) this.logger.warn({ err }, 'blocking read failed; the worker will reconnect and carry on');
        return { kind: 'error' };
      });
    const outcome = await guardBlockingRead(this.client, read, blockMs + (exact ? 200 : 0) + this.graceMs);
    clearTimeout(alarm);
    if (outcome.kind === 'answer') return outcome.value;
    if (outcome.kind === 'silent') {
      this.logger.warn({ blockMs, graceMs: this.graceMs }, 'blocking read got no answer in time; the connection was reset');
      this.interrupted = true;
      return { kind: 'watchdog' };
    }
    return { kind: 'error' };
  }

  /** Ends a wait in progress (on close). */
  interrupt(): void {
    this.interrupted = true;
    cutConnection(this.client);
  }
}
