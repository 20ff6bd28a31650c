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
// On a Redis Cluster, CLIENT ID and CLIENT UNBLOCK go to the node that serves the marker's slot,
// where the Cluster sends the BZPOPMIN: through the blocking cluster's own connection to that
// node, and the worker's. The node is looked up for every timed wait in ioredis's slot map, which
// follows MOVED replies, so a slot that moves is followed from the next wait on.
import type { Redis } from 'ioredis';
import { guardBlockingRead } from '../redis/blocking-read.js';
import { asCluster, nodeKey, slotNode } from '../redis/cluster.js';
import { cutConnection } from '../redis/connection.js';
import type { Logger } from '../logger.js';

/**
 * woken: a member of the marker was taken: 'm' (work, ready at `at`, ms of Redis time; 0: now)
 * or 'b' (a backup: check at `at` that the work due then was done, see src/worker/idle-wait.ts).
 */
export type WakeResult = { kind: 'woken'; member: string; at: number } | { kind: 'timeout' | 'error' | 'watchdog' };

export class WakeWaiter {
  /** Last time Redis answered the blocking connection (ms, local clock; for health only). */
  lastAnswerAt = performance.now();
  private interrupted = false;
  private clientId: string | undefined;
  /** On a Cluster: the CLIENT ID of each node connection (it changes with every reconnect). */
  private readonly nodeIds = new WeakMap<Redis, string>();

  /** The error reply last reported, until a blocking read succeeds again. */
  private lastReported: string | undefined;

  constructor(
    private readonly client: Redis,
    /** A non-blocking connection, used to unblock `client` when a due time comes. */
    private readonly control: Redis,
    private readonly graceMs: number,
    private readonly logger: Logger,
    /** An error reply (NOPERM: the user may not BZPOPMIN, …) is the user's to see: the worker's error event. */
    private readonly reportError: (err: unknown) => void = () => undefined,
  ) {
    // the id changes with every reconnect
    client.on('ready', () => {
      this.clientId = undefined;
    });
  }

  /**
   * Blocks until the marker can be taken, or `timeoutMs` passes. With `exact`, the timeout is a
   * due time and is kept to the millisecond. `thenSend` sends a command on the blocking
   * connection right behind the read (a lease): Redis runs it as soon as the read returns.
   */
  async wait(markers: string[], timeoutMs: number, exact = false, thenSend?: () => void): Promise<WakeResult> {
    const marker = markers[0]!;
    const blockMs = Math.max(1, Math.ceil(timeoutMs));
    this.interrupted = false;
    let alarm: NodeJS.Timeout | undefined;
    if (exact && blockMs <= 5) {
      // too short to block and unblock reliably: the due time is a few ms away
      await new Promise((resolve) => setTimeout(resolve, blockMs));
      return { kind: 'timeout' };
    }
    if (exact) {
      let target: { id: string; via: Redis } | undefined;
      try {
        target = await this.unblockTarget(marker);
      } catch {
        return { kind: 'error' };
      }
      if (target) {
        const { id, via } = target;
        alarm = setTimeout(() => {
          via.client('UNBLOCK', id).catch(() => undefined);
        }, blockMs);
      }
    }
    // only on a ready connection: a read queued while it reconnects would be sent later, after
    // this wait gave up on it, and block the connection (and take a wake) with no one listening;
    // the worker's next read would then wait behind it, silent (chaos: client-kill)
    if (this.client.status !== 'ready') {
      clearTimeout(alarm);
      return { kind: 'error' };
    }
    const read = this.client
      .call('BZPOPMIN', ...markers, String((exact ? blockMs + 200 : blockMs) / 1000))
      .then((reply): WakeResult => {
        this.lastAnswerAt = performance.now();
        this.lastReported = undefined;
        // [key, member, score], or null on timeout
        return Array.isArray(reply) ? { kind: 'woken', member: String(reply[1]), at: Number(reply[2]) } : { kind: 'timeout' };
      })
      .catch((err: unknown): WakeResult => {
        if (this.interrupted) return { kind: 'error' };
        // an error reply is reported once until a read succeeds (the worker retries every 100 ms);
        // a dropped connection is only logged: the worker reconnects by itself
        const message = (err as Error)?.message;
        if ((err as Error)?.name === 'ReplyError') {
          if (message !== this.lastReported) this.reportError(err);
          this.lastReported = message;
        } else this.logger.warn({ err }, 'blocking read failed; the worker will reconnect and carry on');
        return { kind: 'error' };
      });
    thenSend?.();
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

  /**
   * Whom to send CLIENT UNBLOCK to, and the id it names. On a Cluster whose slot map is not
   * loaded yet, or whose worker connection does not know the node yet, there is none: the wait
   * then ends at Redis's timeout (up to 200 ms late), and the next one finds the node.
   */
  private async unblockTarget(marker: string): Promise<{ id: string; via: Redis } | undefined> {
    const cluster = asCluster(this.client);
    if (!cluster) {
      this.clientId ??= await this.askId(this.client);
      return { id: this.clientId, via: this.control };
    }
    const node = slotNode(cluster, marker);
    if (!node) return undefined;
    const key = nodeKey(node);
    const via = asCluster(this.control)
      ?.nodes('master')
      .find((n) => nodeKey(n) === key);
    if (!via) return undefined;
    let id = this.nodeIds.get(node);
    if (id === undefined) {
      id = await this.askId(node);
      this.nodeIds.set(node, id);
      node.once('ready', () => this.nodeIds.delete(node));
    }
    return { id, via };
  }

  /**
   * CLIENT ID of `connection`. A connection that drops with it unanswered (a sluice connection
   * does not resend) would leave it unsettled for good, and the wait with it: a worker idle and
   * silent (chaos: client-kill). So it fails then, or when no answer comes within the grace.
   */
  private async askId(connection: Redis): Promise<string> {
    const outcome = await guardBlockingRead(connection, connection.client('ID'), this.graceMs);
    if (outcome.kind !== 'answer') throw new Error(`CLIENT ID got no answer (${outcome.kind})`);
    return String(outcome.value);
  }

  /**
   * Ends a wait in progress on `marker` and keeps the connection (Worker.pause()): CLIENT UNBLOCK
   * from the control connection, so the read returns empty. A wait not yet sent is not ended:
   * it returns at its timeout, and the worker's checks of its state come after. (On a Cluster
   * whose node id is not known yet, too.)
   */
  async unblock(marker: string): Promise<void> {
    try {
      // the blocked connection cannot answer CLIENT ID now: its id is found by its name instead
      if (!asCluster(this.client) && this.clientId === undefined) {
        const name = ` name=${this.client.options.connectionName} `;
        const line = String(await this.control.client('LIST'))
          .split('\n')
          .find((l) => l.includes(name));
        const id = line && /(?:^|\s)id=(\d+)/.exec(line)?.[1];
        if (!id) return; // the read ends at its timeout
        this.clientId = id;
      }
      const target = await this.unblockTarget(marker);
      if (target) await target.via.client('UNBLOCK', target.id);
    } catch (err) {
      this.logger.debug({ err }, 'could not unblock the blocking read');
    }
  }

  /** Ends a wait in progress (on close). */
  interrupt(): void {
    this.interrupted = true;
    cutConnection(this.client);
  }
}
