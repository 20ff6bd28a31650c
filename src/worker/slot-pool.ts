// A worker's concurrency, shared by the loops that fill it. A worker of a plain queue has one
// loop; a worker of a partitioned queue (docs/partitions.md) has one per partition, and they all
// draw on the same `concurrency` slots. A busy partition may use every slot while the others
// are idle; once a loop finds no slot free it queues, and a freed slot goes to the loop that has
// waited longest (the loop that just freed it queues behind the others), so that no partition
// with work waiting is starved by another. It also holds the worker's pause (worker.pause():
// no slot is free while paused) and its concurrency, which may change at run time. It counts and
// takes turns; it does not lease or run jobs.

/** One loop drawing on the pool. */
export interface PoolMember {
  /** Jobs it runs now. */
  running(): number;
  /** Jobs it holds or has asked for: running, leased ahead, and asked for by calls in flight. */
  held(): number;
  /** A slot freed somewhere in the pool: start the jobs it leased ahead, while slots are free. */
  startHeld(): void;
  /** A slot freed somewhere in the pool, and it may lease: start what it holds, or fetch. */
  onSlotFree(): void;
}

export class SlotPool {
  private readonly members: PoolMember[] = [];
  /** Members that found no slot free, longest waiting first. */
  private readonly waiting: PoolMember[] = [];
  /** The member that starts its leased-ahead jobs first at the next free slot. */
  private turn = 0;

  /** While true, no job starts and nothing is leased (Worker.pause()); running jobs finish. */
  paused = false;
  /** Waiters of whenNoneRunning(). */
  private idleWaiters: (() => void)[] = [];

  /** `concurrency`: the worker's; Worker.concurrency changes it at run time. */
  constructor(public concurrency: number) {}

  /** The slots that may be filled now: none while paused, else the concurrency. */
  get limit(): number {
    return this.paused ? 0 : this.concurrency;
  }

  /** Resolves once no job runs in any member (checked again at each slotFreed()). */
  whenNoneRunning(): Promise<void> {
    if (this.running() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether several loops (partitions) share the pool. */
  get shared(): boolean {
    return this.members.length > 1;
  }

  join(member: PoolMember): void {
    this.members.push(member);
  }

  /** Jobs running in every member. */
  running(): number {
    let n = 0;
    for (const m of this.members) n += m.running();
    return n;
  }

  /** Jobs held or asked for by every member. */
  held(): number {
    let n = 0;
    for (const m of this.members) n += m.held();
    return n;
  }

  /** Whether a job could start now without waiting for a slot. */
  hasRoom(): boolean {
    return this.held() < this.limit;
  }

  /**
   * How many of the `want` slots `member` may ask for now (`want` is what it would take of the
   * room left): all of them when no other member waits for a slot, else none until its turn. A
   * member that gets none is queued (once) and told when its turn comes.
   */
  take(member: PoolMember, want: number): number {
    if (this.members.length === 1) return want;
    const at = this.waiting.indexOf(member);
    if (want > 0 && (at === 0 || this.waiting.length === 0)) {
      if (at === 0) {
        this.waiting.shift();
        // room may be left for the next one
        this.waiting[0]?.onSlotFree();
      }
      return want;
    }
    if (at < 0) this.waiting.push(member);
    return 0;
  }

  /** `member` does not want a slot any more (its partition is empty: it blocks): the next one's turn. */
  leave(member: PoolMember): void {
    const at = this.waiting.indexOf(member);
    if (at < 0) return;
    this.waiting.splice(at, 1);
    if (at === 0) this.waiting[0]?.onSlotFree();
  }

  /**
   * Slots asked for by a lease call and not filled (it found fewer jobs, or failed) are free
   * again: with several members, they go as a job's slot does.
   */
  roomFreed(slots: number): void {
    if (slots > 0 && this.members.length > 1) this.slotFreed();
  }

  /**
   * A job ended (or room freed). Jobs already leased ahead start first, every member's in turn
   * (their leases run); then the longest-waiting member may lease, or every member when none waits.
   */
  slotFreed(): void {
    if (this.idleWaiters.length > 0 && this.running() === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    const n = this.members.length;
    if (n === 1) {
      this.members[0]!.onSlotFree();
      return;
    }
    const first = this.turn;
    this.turn = (this.turn + 1) % n;
    for (let i = 0; i < n; i++) this.members[(first + i) % n]!.startHeld();
    const head = this.waiting[0];
    if (head) head.onSlotFree();
    else for (const m of this.members) m.onSlotFree();
  }
}
