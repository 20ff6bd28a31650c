// The group rate limit of a partitioned queue, held for the whole queue (docs/partitions.md):
// while the queue has one (each partition's meta says so, and refuses a lease without reserved
// starts), each partition's lease call first reserves its starts in the queue's own slot
// (reserve-starts.lua), leases at most that many from its partition, and hands back the tokens
// it did not use: with its next reservation while its partition has work, at once when the
// partition ran dry. The limit is exact in Redis — in every window at most `max` starts of the
// whole queue are reserved — at the price of one more round trip per lease call; a job is
// leased one round trip after its start was reserved. A partition the limit holds back is told
// when to try again through its wake marker, like any due time, so one idle worker per
// partition wakes for it. It does not lease.
import type { Redis } from 'ioredis';
import type { LeaseReply, Scripts, StartsGrant } from '../redis/scripts.js';

export class RateGate {
  /** Tokens reserved and not used, handed back with the next reservation. */
  private unused: string[] = [];
  /**
   * Whether lease calls reserve their starts first: only while the partition says its queue has
   * a rate limit (lease reply flag queueLimited), so a queue without one pays no extra round trip.
   */
  reserving = false;

  constructor(
    /** Scripts on the queue's own keys (where the limit and its window are). */
    private readonly root: Scripts,
    private readonly group: string,
  ) {}

  /** Reserves up to `want` starts for the lease call `nonce` (with no limit: all of them). */
  reserve(nonce: string, want: number): Promise<StartsGrant> {
    const unused = this.unused.splice(0);
    return this.root.reserveStarts(this.group, nonce, want, unused).catch((err: unknown) => {
      this.unused.push(...unused); // not handed back: with the next one
      throw err;
    });
  }

  /**
   * The lease call's reply, seen through its grant: tokens it did not use go back; a call the
   * limit held back reads as idle and limited, and the partition's wake marker gets the time
   * the next start is allowed (an idle worker of the partition holds it, see idle-wait.ts).
   */
  settle(client: Redis, marker: string, nonce: string, asked: number, grant: StartsGrant, reply: LeaseReply): LeaseReply {
    for (let k = reply.jobs.length + 1; k <= grant.granted; k++) this.unused.push(`${nonce}.${k}`);
    if (!grant.limited) {
      this.unused.length = 0; // no limit: nothing to hand back
      return reply;
    }
    // the partition ran dry: its unused starts go back now, for the other partitions
    if (reply.idle && this.unused.length > 0) this.root.reserveStarts(this.group, '', 0, this.unused.splice(0)).catch(() => undefined);
    const held = grant.granted < asked;
    if (!held) return { ...reply, hasRateLimit: true };
    let waitMs = reply.waitMs;
    if (grant.waitMs !== undefined) {
      waitMs = waitMs === undefined ? grant.waitMs : Math.min(waitMs, grant.waitMs);
      client.zadd(marker, 'LT', grant.now + grant.waitMs, 'm').catch(() => undefined);
    }
    return { ...reply, hasRateLimit: true, limitedNow: true, idle: reply.jobs.length < asked, waitMs };
  }
}
