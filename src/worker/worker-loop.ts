// The worker's loop: fetch → run → settle. Each turn awaits the oldest lease call in flight
// (buffered acks ride along in the same call), tracks the leases it got, starts as many jobs as
// there are free slots and keeps the rest in a buffer (leased ahead), and blocks on the group's
// wake marker when the queue is empty. While the queue is busy, two calls are in flight, so that
// Redis works while the jobs run. It does not connect, start or stop itself, nor decide whether
// the worker runs: the Worker (worker.ts) does, and shuts it down. Sizing and sending the calls
// is lease-calls.ts's, running a job JobRunner's, renewing leases LeaseKeeper's, sending acks
// alone Settlement's, the blocking read idle-wait.ts's, its phase machine loop-phase.ts's.
import type { Redis } from 'ioredis';
import { LeaseLostError, MalformedJobError } from '../errors.js';
import type { Logger } from '../logger.js';
import { withTimeout } from '../redis/blocking-read.js';
import type { LeasedJobRaw, LeaseReply, Scripts } from '../redis/scripts.js';
import type { SchedulerFirer } from '../scheduling/due-schedulers.js';
import { waitWhileIdle } from './idle-wait.js';
import { LoopPhases, type LoopPhase } from './loop-phase.js';
import type { PendingAck } from './job-runner.js';
import { LeaseCalls, maxBackoffMs, type LeaseCallsContext } from './lease-calls.js';
import type { LeaseKeeper } from './lease-keeper.js';
import type { PoolMember } from './slot-pool.js';
import type { WakeWaiter } from './wake-waiter.js';
import type { WorkerEvents } from './worker-api.js';

/** Lease calls in flight at once while the queue is busy. */
const PIPELINE_DEPTH = 2;
/** What the loop reports to its Worker, which emits it. */
export interface WorkerLoopEvents<Data, Result> extends Pick<WorkerEvents<Data, Result>, 'stalled' | 'failed' | 'lost'> {
  error(err: unknown): void;
}

/** The worker's parts and settings the loop works with. */
export interface WorkerLoopContext<Data, Result> extends LeaseCallsContext<Data, Result> {
  /** The worker's command connection: reset when a lease call goes unanswered. */
  client: Redis;
  /** The group's wake marker key, and the key where the backup check of a due time waits (idle-wait.ts). */
  marker: string;
  backupMarker: string;
  keeper: LeaseKeeper;
  waiter: WakeWaiter;
  firer: SchedulerFirer;
  leaseMs: number;
  /** The short first lease of jobs leased ahead (worker-options.ts aheadLeaseMs). */
  aheadMs: number;
  blockMs: number;
  watchdogGraceMs: number;
  logger: Logger;
  /** Whether the worker is running; the loop ends when it is not. */
  isActive(): boolean;
  /** Recreates the group (it went missing: NOGROUP). */
  ensureGroup(): Promise<void>;
  /**
   * The scripts on the loop's blocking connection: the first lease after a wake is sent behind
   * the blocking read (see block()). Absent, it is sent once the read returns.
   */
  blockingScripts?: Scripts | undefined;
  /** Sees every lease reply (metrics: time held by the rate limit). */
  onReply?: ((reply: LeaseReply) => void) | undefined;
  events: WorkerLoopEvents<Data, Result>;
}

/**
 * The loop of one Worker. What it is doing is its phase (loop-phase.ts: the phases, their
 * transitions, and what reads them); it changes only through `phases.enter()`.
 */
export class WorkerLoop<Data, Result> implements PoolMember {
  private readonly ctx: WorkerLoopContext<Data, Result>;
  private readonly calls: LeaseCalls<Data, Result>;
  private readonly phases: LoopPhases;
  /** Leased and not started yet, with the local time the leasing call was sent. */
  private buffer: { raw: LeasedJobRaw; now: number; sentAt: number }[] = [];
  private loopWaiter: (() => void) | undefined;
  private wakeScheduled = false;
  private lastFetchAt = performance.now();
  private callStartedAt = 0;
  /** The last lease that asked for jobs got some: the next block sends its lease behind the read. */
  private recentlyLeased = false;

  constructor(ctx: WorkerLoopContext<Data, Result>) {
    this.ctx = ctx;
    this.calls = new LeaseCalls(ctx, this);
    this.phases = new LoopPhases(ctx.logger, (err) => ctx.events.error(err));
    ctx.pool.join(this);
  }

  /** Jobs this loop runs now (slot-pool.ts). */
  running(): number {
    return this.ctx.runner.size;
  }

  /** Jobs this loop holds or has asked for: running, leased ahead, asked for by calls in flight. */
  held(): number {
    return this.ctx.runner.size + this.buffer.length + this.calls.asked;
  }

  get phase(): LoopPhase {
    return this.phases.current;
  }

  /** Jobs leased ahead and not started. */
  get prefetched(): number {
    return this.buffer.length;
  }
  /** How long since Redis last answered this worker (a lease reply or the blocking read), in ms. */
  lastAnswerAgeMs(): number {
    return performance.now() - Math.max(this.lastFetchAt, this.ctx.waiter.lastAnswerAt);
  }

  /** Whether the worker runs and is not paused (Worker.pause()). */
  private leasing(): boolean {
    return this.ctx.isActive() && !this.ctx.pool.paused;
  }

  /** Whether a lease call or a blocking read is overdue past the watchdog: Redis does not answer. */
  isOverdue(): boolean {
    const limit = this.callTimeoutMs();
    if (this.phase === 'calling') return performance.now() - this.callStartedAt > limit;
    return this.phase === 'blocking' && this.lastAnswerAgeMs() > limit;
  }

  /** Runs while the worker is active; then abandons the calls still in flight. */
  async run(): Promise<void> {
    const { keeper, settlement } = this.ctx;
    const calls = this.calls;
    let failuresInARow = 0;
    let busy = false; // the last reply was full: keep two calls in flight
    while (this.ctx.isActive()) {
      calls.fill(busy ? PIPELINE_DEPTH : 1);
      const current = calls.next();
      if (!current) {
        await this.waitForSlot();
        continue;
      }
      this.phases.enter('calling');
      this.callStartedAt = current.sentAt;
      let reply: LeaseReply | 'timeout';
      try {
        reply = await withTimeout(current.reply, this.callTimeoutMs());
        failuresInARow = 0;
      } catch (err) {
        calls.answered(current);
        this.phases.enter('idle');
        void calls.failed(current, err);
        this.ctx.pool.roomFreed(current.want);
        // the group was removed (or the queue obliterated) while this worker ran: it recreates
        // its group, from now, and logs it (stop a group's workers before removing it)
        if (String((err as Error).message).includes('NOGROUP')) {
          await this.ctx.ensureGroup().catch((e: unknown) => this.ctx.events.error(e));
        } else this.ctx.events.error(err);
        await this.pause(Math.min(maxBackoffMs(err), 100 * 2 ** failuresInARow++));
        continue;
      }
      calls.answered(current);
      this.phases.enter('idle');
      if (reply === 'timeout') {
        // a silent connection (half-open socket): reset it; abandoned calls keep their acks
        // and hand back whatever they lease if they ever complete
        this.ctx.logger.warn({ timeoutMs: this.callTimeoutMs() }, 'Redis did not answer a fetch in time; resetting the connection');
        this.ctx.client.disconnect(true);
        void calls.abandonAll(current);
        continue;
      }
      this.lastFetchAt = performance.now();
      if (reply.jobs.length > 0) this.recentlyLeased = true;
      else if (current.want > 0) this.recentlyLeased = false;
      // slots asked for and not filled are free again, for the worker's other partitions
      this.ctx.pool.roomFreed(current.want - reply.jobs.length);
      this.onLeaseReply(reply);
      if (!this.leasing()) {
        // leased while closing, or by a call sent before the worker paused: handed back at once
        await settlement.handBack(
          reply.jobs.map((j) => [j.id, j.token]),
          false,
        );
        if (!this.ctx.isActive()) break;
        continue;
      }
      calls.noteReply(reply);
      for (let i = 0; i < reply.jobs.length; i++) {
        const raw = reply.jobs[i]!;
        // those past the call's free slots were leased ahead, with the short first lease
        keeper.track(raw.id, raw.token, i < current.slots ? this.ctx.leaseMs : this.ctx.aheadMs);
        this.buffer.push({ raw, now: reply.now, sentAt: current.sentAt });
      }
      keeper.guardLeased(reply.jobs);
      busy = !reply.idle; // idle: the queue is empty for now
      // send the next calls before running this batch, so that Redis works while the jobs run
      if (busy) calls.fill(PIPELINE_DEPTH);
      this.startBuffered();
      if (reply.idle && calls.size === 0 && settlement.size === 0 && this.buffer.length === 0 && reply.waitMs !== 0 && this.leasing()) {
        const pool = this.ctx.pool;
        if (!pool.shared && !pool.hasRoom()) {
          calls.ackAloneNext(reply); // it took all there was into its last slots: the marker is an idle worker's
          continue;
        }
        // every slot taken by the worker's other partitions: wait for one before blocking, so
        // that this worker does not take the partition's wake marker from an idle one
        while (pool.shared && !pool.hasRoom() && settlement.size === 0 && this.ctx.isActive()) await this.waitForSlot();
        if (settlement.size === 0 && this.ctx.isActive()) {
          pool.leave(this); // its partition is empty: its turn at a slot is the next one's
          await this.block(reply);
        }
      }
    }
    await calls.abandonAll();
  }

  /** A reply arrived: fires the schedulers it says are due, reports stalled and dead-lettered jobs. */
  private onLeaseReply(reply: LeaseReply): void {
    // any group's worker fires a due slot: the job it makes reaches every group
    if (reply.schedulersDue) this.ctx.firer.fireDue(reply.now);
    this.ctx.onReply?.(reply);
    for (const id of reply.stalled) this.ctx.events.stalled(id);
    for (const dead of reply.dead) {
      this.ctx.runner.failures++;
      // a record or stream entry sluice did not write is reported typed (invariant 8)
      const message = `job ${dead.id}: ${dead.reason}`;
      this.ctx.events.failed(undefined, dead.reason.startsWith('malformed') ? new MalformedJobError(message) : new Error(message), false);
    }
  }

  private callTimeoutMs(): number {
    return this.ctx.blockMs + this.ctx.watchdogGraceMs;
  }
  // ---- run: the leased-ahead buffer ---------------------------------------------------------

  private startBuffered(): void {
    const { runner, keeper } = this.ctx;
    const pool = this.ctx.pool;
    while (this.buffer.length > 0 && pool.running() < pool.limit) {
      const { raw, now, sentAt } = this.buffer.shift()!;
      // a lease that may have run out (this process froze, or the event loop was blocked, since
      // the call was sent) is renewed before the job starts: another worker may have it by now
      if (performance.now() - sentAt >= this.ctx.aheadMs / 2) void this.startAfterRenewal(raw, now);
      else {
        keeper.track(raw.id, raw.token); // running: renewed to the full lease from now on
        void runner.run(raw, now);
      }
    }
  }

  private async startAfterRenewal(raw: LeasedJobRaw, now: number): Promise<void> {
    const { keeper, events } = this.ctx;
    let held = false;
    try {
      held = await keeper.extend(raw.id, raw.token, this.ctx.leaseMs);
    } catch (err) {
      events.error(err);
    }
    if (held && this.leasing()) {
      void this.ctx.runner.run(raw, now);
      return;
    }
    // lost meanwhile (the keeper reported it), or closing, or Redis failed: not started here
    keeper.untrack(raw.id, raw.token);
    if (held) await this.ctx.settlement.handBack([[raw.id, raw.token]], false);
    else events.lost(raw.id, new LeaseLostError(raw.id));
    this.wakeLoop();
  }

  /** Closing or pausing: empties the buffer, untracked; returns the [id, token] of its jobs, to hand back. */
  takeBuffered(): [string, string][] {
    const pairs = this.buffer.splice(0).map((b): [string, string] => [b.raw.id, b.raw.token]);
    for (const [id, token] of pairs) this.ctx.keeper.untrack(id, token);
    return pairs;
  }

  // ---- what the worker's parts tell the loop ------------------------------------------------

  /** JobRunner: a job succeeded. */
  onAck(ack: PendingAck<Data, Result>): void {
    this.ctx.settlement.push(ack);
    // the loop folds acks into its next fetch; while it blocks in Redis, flush them here
    if (this.phase === 'blocking' || !this.ctx.isActive() || this.ctx.pool.paused) void this.ctx.settlement.flush();
    else this.wakeLoop();
  }

  /** The slot pool: a slot freed; start the jobs leased ahead, while slots are free. */
  startHeld(): void {
    if (this.ctx.isActive()) this.startBuffered();
  }

  /** The slot pool: a job ended (settled or not) and this loop may use the slot. */
  onSlotFree(): void {
    if (this.ctx.isActive()) this.startBuffered();
    this.wakeLoop();
  }

  /** LeaseKeeper: a lease was lost. */
  onLeaseLost(jobId: string): void {
    if (this.ctx.runner.leaseLost(jobId)) return;
    // not started yet: drop it from the buffer; another worker has it now
    const at = this.buffer.findIndex((b) => b.raw.id === jobId);
    if (at >= 0) {
      this.buffer.splice(at, 1);
      this.ctx.events.lost(jobId, new LeaseLostError(jobId));
      this.wakeLoop(); // room to fetch again
    }
  }

  // ---- waiting: blocking on the wake marker, parking the loop -------------------------------

  /**
   * Idle: waits for work on the group's wake marker (see idle-wait.ts). A loop that leased jobs
   * since it last found the queue empty sends its next lease behind the blocking read, on the
   * same connection: Redis runs it the moment the read returns, so a job reaching a worker that
   * was just busy costs one round trip, not two (docs/performance.md). If the read ends without
   * work (its block timeout), that lease finds nothing, and the loop blocks plainly from then on.
   * Not on a partition that shares its slots or has a rate gate: their leases are sized or
   * reserved when sent.
   */
  private async block(reply: LeaseReply): Promise<void> {
    const { waiter, client: control, scripts, group, marker, backupMarker, blockMs, leaseMs, blockingScripts } = this.ctx;
    const isActive = () => this.leasing(); // a paused worker leaves the marker to others
    this.phases.enter('blocking');
    let outcome: 'woken' | 'lease' | 'error' | undefined;
    let sentBehind = false;
    const leaseWithWait =
      blockingScripts && this.recentlyLeased && !this.ctx.pool.shared && !this.ctx.gate
        ? () => {
            sentBehind = this.calls.leaseBehindWait(blockingScripts);
          }
        : undefined;
    try {
      outcome = await waitWhileIdle(
        { waiter, control, scripts, group, marker, backupMarker, blockMs, leaseMs, isActive, leaseWithWait },
        reply,
      );
      if (sentBehind) this.calls.wokeAt(performance.now());
      else if (outcome === 'woken') this.calls.markWoken();
    } catch (err) {
      this.ctx.events.error(err);
    } finally {
      this.phases.enter('idle');
    }
    if (outcome === 'error' && isActive()) await this.pause(100);
  }

  /** Closing: interrupts a blocking read and wakes a parked loop, so that it sees the state. */
  interrupt(): void {
    if (this.phase === 'blocking') this.ctx.waiter.interrupt();
    this.wakeLoop();
  }

  /** Pausing: ends a blocking read, keeping its connection (interrupt() cuts it), and wakes a parked loop. */
  stopBlocking(): void {
    if (this.phase === 'blocking') void this.ctx.waiter.unblock(this.ctx.marker);
    this.wakeLoop();
  }

  /** Parks the loop in 'waiting-slot' until a slot frees, an ack arrives, or close() is called. */
  private waitForSlot(): Promise<void> {
    this.phases.enter('waiting-slot');
    return this.park();
  }

  /** Parks the loop in 'idle' (a back-off; shutdown waiting for running jobs) until woken or `ms` pass. */
  pause(ms: number): Promise<void> {
    return this.park(ms);
  }

  private park(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.loopWaiter?.(), ms);
      this.loopWaiter = () => {
        clearTimeout(timer);
        this.loopWaiter = undefined;
        if (this.phase === 'waiting-slot') this.phases.enter('idle');
        resolve();
      };
    });
  }

  /** Ends a park now (close() brought the deadline forward). */
  resumeNow(): void {
    this.loopWaiter?.();
  }

  /** Wakes a parked loop after the current burst of completions, so that their acks go together. */
  private wakeLoop(): void {
    if (this.wakeScheduled || !this.loopWaiter) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.loopWaiter?.();
    });
  }
}
