// The lease calls a worker has in flight: how many jobs each asks for, sending it (a lease, or
// the buffered acks and a lease in one call), and what becomes of a call the loop does not use.
// A call asks for a third of the worker's capacity — its concurrency, plus jobs leased ahead
// while jobs are short (prefetch) — bounded in count and in bytes of job data. A call that
// failed has its acks put back and what it may have leased released by its nonce; an abandoned
// one (the connection went silent, or closing) hands back what it leases if it ever answers.
// It does not decide when to call or start jobs (worker-loop.ts), nor send acks alone
// (settlement.ts).
import { leaseNonce } from '../redis/lease-token.js';
import { certainlyNotApplied, slotMoving } from '../redis/redis-errors.js';
import type { LeaseReply, Scripts } from '../redis/scripts.js';
import type { JobRunner, PendingAck } from './job-runner.js';
import type { Settlement } from './settlement.js';
import type { PoolMember, SlotPool } from './slot-pool.js';
import type { Redis } from 'ioredis';
import type { RateGate } from '../partitions/rate-gate.js';

/**
 * The XREADGROUP consumer name every worker reads under. Reads are NOACK (no pending-entries
 * list), so a per-worker name would buy nothing and leave a consumer behind per restart.
 */
export const CONSUMER = 'sluice';

const MAX_LEASE_PER_CALL = 1000;
/** About how many bytes of job data one lease reply may carry (by the average job's size). */
const MAX_LEASE_REPLY_BYTES = 4 * 1024 * 1024;
/** Work kept in hand by prefetching, in ms of average job time. */
const PREFETCH_WINDOW_MS = 20;

/** A lease call in flight (a lease, or acks and a lease). */
export interface LeaseCall<Data, Result> {
  reply: Promise<LeaseReply>;
  acks: PendingAck<Data, Result>[];
  want: number;
  /** How many of `want` start at once; the rest are leased ahead (short first lease). */
  slots: number;
  /** When the call was sent (performance.now()): its leases end no earlier than sentAt + aheadMs (or leaseMs). */
  sentAt: number;
  /** The call's nonce: the tokens of what it leases are nonce.k (see releaseCall). */
  nonce: string;
}

export interface LeaseCallsContext<Data, Result> {
  scripts: Scripts;
  group: string;
  /** The worker's tag: its lease tokens begin with it, so explain() can name the holder (redis/lease-token.ts). */
  workerTag: string;
  runner: JobRunner<Data, Result>;
  settlement: Settlement<Data, Result>;
  /** The worker's slots, shared with the loops of its other partitions (slot-pool.ts). */
  pool: SlotPool;
  maxPrefetch: number;
  /** The lease script's configuration, as the JSON text it takes (worker-options.ts). */
  leaseConfigJson: string;
  /** On a partitioned queue: the group rate limit held for the whole queue (partitions/rate-gate.ts). */
  gate?: { rate: RateGate; client: Redis; marker: string } | undefined;
}

export class LeaseCalls<Data, Result> {
  private readonly ctx: LeaseCallsContext<Data, Result>;
  /** The lease configuration JSON with `woke: true`, for the first lease after a wake. */
  private readonly wokeLeaseConfigJson: string;
  private inflight: LeaseCall<Data, Result>[] = [];
  /** Jobs asked for by the calls in flight. */
  private requested = 0;
  /** Woken from the marker: the next lease says so (see send). */
  private woke = false;
  /** Moving average of the size of leased jobs (data and options, in characters). */
  private avgJobBytes = 0;
  /** The last reply found the queue empty (or paused): lease only for free slots until it is not. */
  private drained = false;
  /** The group has a rate limit (the last reply said so). */
  private hasRateLimit = false;
  /**
   * Most jobs of the last reply were deleted on completion: the next leases read the stream into
   * the group's PEL, which leases such plain jobs without a record (lua/includes/leasedEntry.lua).
   */
  private intoPel = false;
  /**
   * Set by ackAloneNext: the queue was empty and every slot taken, so the next acks go alone
   * (no lease that would only find the queue empty) and their reply says idle; the group's next
   * due time then, in Redis ms (undefined: none).
   */
  private ackAlone: { dueAt: number | undefined } | undefined;

  constructor(
    ctx: LeaseCallsContext<Data, Result>,
    /** The loop these calls are for, as the slot pool knows it. */
    private readonly member: PoolMember,
  ) {
    this.ctx = ctx;
    this.wokeLeaseConfigJson = JSON.stringify({ ...(JSON.parse(ctx.leaseConfigJson) as object), woke: true });
  }

  /** Jobs asked for by the calls in flight. */
  get asked(): number {
    return this.requested;
  }

  /** Calls in flight. */
  get size(): number {
    return this.inflight.length;
  }

  /** The oldest call in flight, the one the loop awaits next. */
  next(): LeaseCall<Data, Result> | undefined {
    return this.inflight.shift();
  }

  /** The worker was woken from its group's wake marker: the next lease tells the script. */
  markWoken(): void {
    this.woke = true;
  }

  /**
   * The reply said idle but no slot is free to block with (a woken worker took all there was):
   * new work goes to the wake marker meanwhile, so the next acks are sent alone and the loop
   * then blocks, rather than send a lease to find the queue empty. Idle work at low load: one
   * script call per job fewer (docs/performance.md).
   */
  ackAloneNext(reply: LeaseReply): void {
    this.ackAlone = { dueAt: reply.waitMs === undefined ? undefined : reply.now + reply.waitMs };
  }

  /** A call answered or failed: what it asked for is no longer on its way. */
  answered(call: LeaseCall<Data, Result>): void {
    this.requested -= call.want;
  }

  /** What a reply tells the next calls: the jobs' size, whether the queue is empty, a rate limit. */
  noteReply(reply: LeaseReply): void {
    this.hasRateLimit = reply.hasRateLimit;
    // a moving average of the jobs' size bounds the next replies in bytes
    let deleted = 0;
    for (const raw of reply.jobs) {
      this.avgJobBytes += (raw.data.length + raw.opts.length - this.avgJobBytes) / 16;
      if (deletedOnCompletion(raw.opts)) deleted++;
    }
    if (reply.jobs.length > 0) this.intoPel = deleted * 2 >= reply.jobs.length;
    // fewer jobs than asked for means the queue is empty for now
    this.drained = reply.idle;
  }

  /** How many jobs to hold (running + leased ahead): more while jobs are short. */
  private capacity(): number {
    const { maxPrefetch } = this.ctx;
    // paused: no slot (only acks are sent)
    const concurrency = this.ctx.pool.limit;
    if (concurrency === 0) return 0;
    const avg = this.ctx.runner.avgJobMs;
    // no prefetch while the queue is empty (asking again would only poll), nor under a rate
    // limit (a job leased ahead would start later than the limiter counted it)
    if (avg === undefined || maxPrefetch === 0 || this.drained || this.hasRateLimit) return concurrency;
    const ahead = avg <= 0 ? maxPrefetch : Math.min(maxPrefetch, Math.floor((concurrency * PREFETCH_WINDOW_MS) / avg));
    return concurrency + ahead;
  }

  /** How many jobs one lease reply may carry, from the size of the jobs seen so far. */
  private maxByBytes(): number {
    return Math.max(1, Math.floor(MAX_LEASE_REPLY_BYTES / Math.max(1, this.avgJobBytes)));
  }

  /**
   * Sends the first lease after a wake before the wake: on `blocking`, the connection about to
   * block, right behind its blocking read (idle-wait.ts leaseWithWait). It carries no acks
   * (those go alone while the loop blocks) and asks for what fill() would; false when there is
   * nothing to ask. `wokeAt()` then dates it from the wake.
   */
  leaseBehindWait(blocking: Scripts): boolean {
    const { want, slots } = this.nextAsk();
    if (want === 0) return false;
    this.call([], want, slots, undefined, blocking);
    return true;
  }

  /**
   * How many jobs the next call asks for, taken from the slot pool, and how many of them start
   * at once (the rest wait in the buffer, leased ahead).
   */
  private nextAsk(): { want: number; slots: number } {
    const { pool } = this.ctx;
    // a third of the capacity per call: the next batches are on their way while one runs
    const capacity = this.capacity();
    // what this loop and the worker's other partition loops hold: running, leased ahead, asked for
    const held = pool.held();
    const room = capacity - held;
    // the worker's other partitions may be waiting for a slot longer: then it is theirs
    const want = pool.take(this.member, Math.max(0, Math.min(MAX_LEASE_PER_CALL, this.maxByBytes(), Math.ceil(capacity / 3), room)));
    return { want, slots: Math.min(want, Math.max(0, pool.limit - held)) };
  }

  /**
   * The lease sent behind the blocking read ran when the read returned, not when it was sent:
   * its leases are dated from then (the loop renews a job leased ahead before starting it when
   * its call is old, and health measures a call from it).
   */
  wokeAt(now: number): void {
    const call = this.inflight[this.inflight.length - 1];
    if (call) call.sentAt = now;
  }

  /** Sends calls (acks folded in) until `depth` are in flight or there is nothing to ask. */
  fill(depth: number): void {
    const { pool, settlement } = this.ctx;
    while (this.inflight.length < depth) {
      if (this.ackAlone && this.inflight.length === 0) {
        if (settlement.size > 0) {
          // the acks alone; the reply says idle, with the due time the last lease reported
          this.call(settlement.take(), 0, 0, this.ackAlone);
          this.ackAlone = undefined;
          return;
        }
        if (!pool.hasRoom()) return; // the jobs still run: wait for their acks
        this.ackAlone = undefined; // a slot freed without an ack (a failure): lease
      }
      const { want, slots } = this.nextAsk();
      if (want === 0 && (settlement.size === 0 || this.inflight.length > 0)) return;
      this.call(settlement.take(), want, slots);
    }
  }

  /**
   * Sends one call and keeps it in flight. `idle` (acks alone, see ackAloneNext): its reply is
   * made to say idle, with the group's next due time from now (0, due: the loop leases rather than block).
   */
  private call(
    acks: PendingAck<Data, Result>[],
    want: number,
    slots: number,
    idle?: { dueAt: number | undefined },
    behindWait?: Scripts,
  ): void {
    this.requested += want;
    const nonce = leaseNonce(this.ctx.workerTag);
    let reply = behindWait ? this.leaseBehind(behindWait, want, nonce, slots) : this.send(acks, want, nonce, slots);
    if (idle) {
      const { dueAt } = idle;
      reply = reply.then((r) => ({ ...r, idle: true, waitMs: dueAt === undefined ? undefined : Math.max(0, dueAt - r.now) }));
    }
    // handled here as well as where the loop awaits it: a pipelined call that fails while
    // the loop waits on another must not become an unhandled rejection (it kills the process)
    reply.catch(() => undefined);
    this.inflight.push({ reply, acks, want, slots, sentAt: performance.now(), nonce });
  }

  /** The lease configuration, with `pel: true` while most jobs are deleted on completion (see intoPel). */
  private withPel(json: string): string {
    return this.intoPel ? `${json.slice(0, -1)},"pel":true}` : json;
  }

  /** A woken lease on the blocking connection (see leaseBehindWait); never on a partition with a rate gate. */
  private leaseBehind(blocking: Scripts, count: number, nonce: string, slots: number): Promise<LeaseReply> {
    this.woke = false;
    return blocking.lease(this.ctx.group, CONSUMER, nonce, count, this.withPel(this.wokeLeaseConfigJson), slots);
  }

  private async send(acks: PendingAck<Data, Result>[], count: number, nonce: string, slots: number): Promise<LeaseReply> {
    const gate = this.ctx.gate;
    if (!gate || count === 0 || !gate.rate.reserving) {
      const reply = await this.sendToPartition(acks, count, nonce, slots, false);
      // a partitioned queue whose rate limit was set since: the partition leased nothing
      // without reserved starts; the next call reserves them (rate-gate.ts)
      if (!gate || count === 0 || !reply.queueLimited) return reply;
      gate.rate.reserving = true;
      return { ...reply, idle: false };
    }
    // the starts are reserved for the whole queue first
    const grant = await gate.rate.reserve(nonce, count);
    const granted = Math.min(count, grant.granted);
    const reply = await this.sendToPartition(acks, granted, nonce, Math.min(slots, granted), true);
    // the limit removed (the partition no longer asks for reservations): lease without them
    if (!reply.queueLimited) gate.rate.reserving = false;
    return gate.rate.settle(gate.client, gate.marker, nonce, count, grant, reply);
  }

  private async sendToPartition(
    acks: PendingAck<Data, Result>[],
    count: number,
    nonce: string,
    slots: number,
    reserved: boolean,
  ): Promise<LeaseReply> {
    const { scripts, group } = this.ctx;
    // the first lease after a wake tells the script so: a full batch then wakes the next worker
    let leaseConfigJson = this.woke && count > 0 ? this.wokeLeaseConfigJson : this.ctx.leaseConfigJson;
    if (reserved) leaseConfigJson = `${leaseConfigJson.slice(0, -1)},"reserved":true}`;
    leaseConfigJson = this.withPel(leaseConfigJson);
    if (count > 0) this.woke = false;
    if (acks.length === 0) return scripts.lease(group, CONSUMER, nonce, count, leaseConfigJson, slots);
    const { refused, lease } = await scripts.complete(group, CONSUMER, nonce, count, leaseConfigJson, acks, slots);
    this.ctx.settlement.confirm(acks, refused);
    return lease;
  }

  /**
   * A call failed. Unless Redis refused it before running it (out of memory, a read-only
   * replica, ...: see certainlyNotApplied), it may have run: the connection dropped after
   * sending, and calls are not resent by ioredis (see connection.ts). Its acks are sent again,
   * marked so that an ack Redis applied the first time counts as done; what it may have leased
   * is handed back by its nonce, so those jobs neither wait out a lease nor count a stall.
   */
  failed(call: LeaseCall<Data, Result>, err?: unknown): Promise<void> {
    const ran = !certainlyNotApplied(err);
    this.ctx.settlement.putBack(call.acks, ran);
    return ran && call.want > 0 ? this.ctx.settlement.releaseCall(call.nonce) : Promise.resolve();
  }

  /**
   * Calls whose reply the loop will not use (`current`, then every call in flight): each hands
   * back what it leases, or keeps its acks if it fails. Resolves once each is settled so (a
   * closing worker closes its command connection after: a lease sent behind a blocking read
   * fails when close() cuts that connection, and is released on the command connection).
   */
  abandonAll(current?: LeaseCall<Data, Result>): Promise<void> {
    const calls = this.inflight.splice(0);
    if (current) calls.unshift(current);
    this.requested = 0;
    return Promise.all(
      calls.map((call) =>
        call.reply.then(
          (late) =>
            this.ctx.settlement.handBack(
              late.jobs.map((j) => [j.id, j.token]),
              false,
            ),
          (err: unknown) => this.failed(call, err),
        ),
      ),
    ).then(() => undefined);
  }
}

/**
 * The longest back-off after a failed lease call. A lost connection is retried every 500 ms at
 * most: on a standalone Redis the next call waits offline for the reconnect anyway, and a
 * Cluster reports a master's failover as such errors, so a longer back-off would resume the
 * worker seconds after the replica took over. Error replies (NOPERM, OOM, …) back off to 5 s,
 * but not those of a slot moving to another master (Cluster resharding): every 200 ms.
 */
export function maxBackoffMs(err: unknown): number {
  if (slotMoving(err)) return 200;
  return (err as Error)?.name === 'ReplyError' ? 5000 : 500;
}

/** The options (JSON text) delete the job when it completes, as the lease script reads them (removedOnCompletion in jobData.lua). */
function deletedOnCompletion(opts: string): boolean {
  return opts.includes('"removeOnComplete":true') || /"removeOnComplete":0[,}]/.test(opts);
}
