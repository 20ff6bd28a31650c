// What an idle worker does between leases: it blocks on its group's wake marker (a sorted set
// of at most two members, lua/includes/wake.lua) until work is ready. Taking the member 'm'
// scored in the future makes it the worker that holds that due time (a delayed job, a retry, a
// lease deadline, a slot, the limiter): it blocks on until then, still woken early by new work,
// and then leases. It also leaves a backup member 'b' a little later in a second sorted set,
// which only workers that hold no due time block on (so the holder never takes its own backup):
// another idle worker takes it and checks (next-due.lua, a cheap read) that the due work was
// done, and leases if not (the holder crashed). So a due time costs one lease and one check however many
// workers are idle, and survives the crash of either. A worker also checks the due time its own
// last lease reported. A block timeout alone is no reason to lease: the worker blocks again
// (leasing once a lease period as a safety net, see IDLE_LEASE_MS). It does not lease: it tells the worker
// loop when to.
import type { Redis } from 'ioredis';
import type { LeaseReply, Scripts } from '../redis/scripts.js';
import type { WakeWaiter } from './wake-waiter.js';

/**
 * An idle worker that does not hold its group's next due time checks this long after it (and
 * up to twice as long, spread) that the due work was done.
 */
const DUE_BACKUP_MS = 15;

/**
 * An idle worker leases at least this often (ms), or once per its leaseMs if that is shorter,
 * whatever the wake markers say. It is the net under a wake taken by a worker killed before it
 * could lease (nothing else strands work). And because it comes within a lease period, an idle
 * worker learns of a job leased since its own last lease before that job's lease can run out:
 * a job whose worker dies while every other worker is idle is reclaimed at its deadline. Not
 * once per block timeout: an idle worker's cost is its blocking read and its heartbeat
 * (docs/performance.md).
 */
const IDLE_LEASE_MS = 60_000;

export interface IdleContext {
  waiter: WakeWaiter;
  /** The worker's command connection (hands a due time back to the marker). */
  control: Redis;
  scripts: Scripts;
  group: string;
  /** The group's wake marker key. */
  marker: string;
  /** The group's backup marker (member 'b'): blocked on only while this worker holds no due time. */
  backupMarker: string;
  blockMs: number;
  /** The worker's lease length (ms): it leases at least this often while idle (see IDLE_LEASE_MS). */
  leaseMs: number;
  isActive: () => boolean;
  /**
   * Sends a lease on the blocking connection right behind the first blocking read (the worker
   * was busy just before: work is likely to come). Redis runs it as soon as the read returns, so
   * the wake and the lease are one round trip; the wait then ends with that read, whatever it
   * returned, and the loop takes the lease's reply. Absent, a wake ends the wait and the loop
   * sends the lease.
   */
  leaseWithWait?: (() => void) | undefined;
}

/**
 * Waits until the worker should lease again: 'woken' (work is ready or due: a wake, the due time
 * it held, a check that found due work undone; the next lease says it was woken, so that it
 * wakes the next worker for what it leaves behind), 'lease' (a due time near, the safety net, or closing), or
 * 'error' (the blocking read failed: back off a little).
 */
export async function waitWhileIdle(ctx: IdleContext, reply: LeaseReply): Promise<'woken' | 'lease' | 'error'> {
  const marker = ctx.marker;
  // local times are monotonic (performance.now()): a step of the wall clock must not move a due time
  let offset = reply.now - performance.now(); // Redis clock minus ours
  const backupMs = DUE_BACKUP_MS * (1 + Math.random()); // spread, so that checks do not coincide
  const since = performance.now();
  let checkAt = reply.waitMs !== undefined ? since + reply.waitMs + backupMs : undefined; // local ms
  let held: number | undefined; // the due time this worker holds (ms, Redis time)
  let backup: number | undefined; // a backup check this worker took (ms, Redis time)
  let leaseWithWait = ctx.leaseWithWait;
  try {
    for (;;) {
      const now = performance.now();
      let timeout = ctx.blockMs;
      let exact = false;
      if (held !== undefined && held - offset - now < ctx.blockMs) {
        timeout = Math.max(0, held - offset - now);
        exact = true;
      } else if (checkAt !== undefined) {
        timeout = Math.max(1, Math.min(ctx.blockMs, checkAt - now));
      }
      // the holder of a due time does not wait on the backup: another worker must take it
      const keys = held === undefined ? [marker, ctx.backupMarker] : [marker];
      let leased = false;
      const lease = exact ? undefined : leaseWithWait;
      leaseWithWait = undefined; // with the first read only
      const thenLease = lease
        ? () => {
            leased = true;
            lease();
          }
        : undefined;
      const result = await ctx.waiter.wait(keys, timeout, exact, thenLease);
      if (leased) {
        // the lease ran right after the read: a due time or a check it took is put back
        // (finally), for the next wait of this worker or another's; the lease is the answer
        if (result.kind === 'woken' && result.member === 'b') backup = result.at;
        else if (result.kind === 'woken' && result.at - offset > performance.now() + 1) held = result.at;
        return result.kind === 'error' ? 'error' : 'woken';
      }
      if (!ctx.isActive()) {
        // closing or paused: a wake-up taken goes back to the marker (finally), for another worker
        if (result.kind === 'woken' && result.member === 'm') held = held === undefined ? result.at : Math.min(held, result.at);
        else if (result.kind === 'woken') backup = result.at;
        return 'lease';
      }
      if (result.kind === 'woken') {
        if (result.member === 'b') {
          backup = result.at;
          const at = result.at - offset;
          checkAt = checkAt === undefined ? at : Math.min(checkAt, at);
          continue;
        }
        if (result.at - offset > performance.now() + 1) {
          if (held === undefined || result.at < held) {
            held = result.at;
            ctx.control.zadd(ctx.backupMarker, 'LT', result.at + Math.ceil(backupMs), 'b').catch(() => undefined);
          }
          continue;
        }
        return 'woken';
      }
      if (result.kind !== 'timeout') return result.kind === 'error' ? 'error' : 'lease';
      if (held !== undefined && exact) {
        held = undefined; // its time: the lease does the due work and sets the next one
        return 'woken';
      }
      if (checkAt !== undefined && performance.now() >= checkAt - 1) {
        backup = undefined;
        const next = await ctx.scripts.nextDue(ctx.group);
        offset = next.now - performance.now();
        if (next.at !== undefined && next.at <= next.now - backupMs / 2) return 'woken'; // still undone
        checkAt = next.at !== undefined ? next.at - offset + backupMs : undefined;
        continue;
      }
      // a block timeout: blocks again, unless the group's next due time (its last lease's) is
      // within the next block timeout (the lease then sets the marker, and a holder waits for it
      // exactly) or the safety net's time has come
      const after = performance.now();
      const dueSoon = checkAt !== undefined && checkAt - backupMs - after < ctx.blockMs;
      if (dueSoon || after - since >= Math.min(IDLE_LEASE_MS, ctx.leaseMs)) return 'lease';
    }
  } finally {
    // a due time or a check taken and not done (woken for other work, or closing) goes back
    // to the marker, for another idle worker
    if (held !== undefined) ctx.control.zadd(marker, 'LT', held, 'm').catch(() => undefined);
    if (backup !== undefined) ctx.control.zadd(ctx.backupMarker, 'LT', backup, 'b').catch(() => undefined);
  }
}
