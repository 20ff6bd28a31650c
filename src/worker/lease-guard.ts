// The lease guard: renews a worker's leases from a helper thread while the worker's own event
// loop is blocked (a processor that spins the CPU without a sandbox, a huge JSON.parse), so a
// job is not delivered a second time while its first run still goes on. The LeaseKeeper renews
// as usual; it tells the guard which jobs it holds: each lease reply's jobs, before they start,
// through shared memory (lease-ring.ts: no message, no wake of the thread), and at each renewal
// round, by a message (also sent when half the ring is written between two rounds). The
// guard's thread hears nothing from a blocked loop, and only then, once a round is overdue,
// renews those jobs itself, with their tokens (fencing is the same as the keeper's), for at
// most `maxBlockedMs` of silence: a loop blocked for good loses its jobs as a dead one would.
// One thread per process serves every worker in it; it starts with the first job and stays,
// idle and without a connection once no worker uses it, for the next one. Its thread's file is
// lease-guard-thread.ts; docs/sandbox.md tells the limits.
import { Worker as Thread } from 'node:worker_threads';
import { compiledEntry } from '../compiled-entry.js';
import type { Logger } from '../logger.js';
import { cloneableConnection } from '../redis/cloneable-connection.js';
import type { ConnectionInput } from '../redis/connection.js';
import { type LeaseRingMemory, newRingMemory, RingWriter } from './lease-ring.js';

/** What the guard renews for one LeaseKeeper: a group's leases in one queue or partition. */
export interface GuardTarget {
  /** The group's record prefix, active set and the queue's wake key (the extend script's). */
  records: string;
  active: string;
  wake: string;
  maxBlockedMs: number;
}

/** Messages to the guard's thread; `k` names a keeper. */
export type GuardMessage =
  | ({ t: 'open'; k: number; connection: ConnectionInput; ring: LeaseRingMemory; leaseMs: number } & GuardTarget)
  /** Every job held, and the ring position up to which this covers what the ring says. */
  | { t: 'round'; k: number; everyMs: number; held: [id: string, token: string, leaseMs: number][]; from: number }
  | { t: 'close'; k: number };

/** The process's guard thread, shared by every keeper. */
let shared: Thread | undefined;
let nextKeeper = 1;

function guardThread(logger: Logger): Thread | undefined {
  if (shared) return shared;
  let thread: Thread;
  try {
    thread = new Thread(compiledEntry(new URL('./lease-guard-thread.js', import.meta.url), "the lease guard's thread"));
  } catch (err) {
    logger.warn({ err }, 'the lease guard could not start: leases are renewed only while the event loop is free');
    return undefined;
  }
  thread.unref(); // it never holds the process open
  thread.on('error', (err) => logger.warn({ err }, 'the lease guard thread failed'));
  thread.on('exit', () => {
    if (shared === thread) shared = undefined;
  });
  shared = thread;
  return thread;
}

/** One LeaseKeeper's side of the guard; opens the thread on its first job. */
export class LeaseGuard {
  private readonly k = nextKeeper++;
  private thread: Thread | undefined;
  private failed = false;
  /** The last round told the thread that nothing is held. */
  private saidEmpty = false;
  /** This keeper's side of the shared ring, once the thread is open. */
  private ring: RingWriter | undefined;
  private readonly connection: ConnectionInput | undefined;

  constructor(
    connection: ConnectionInput | undefined,
    private readonly target: GuardTarget,
    private readonly logger: Logger,
  ) {
    this.connection = cloneableConnection(connection);
    if (!this.connection) {
      this.failed = true;
      logger.debug('the lease guard is off: the connection cannot be described to a thread');
    }
  }

  /**
   * A lease reply's jobs, renewed to `leaseMs` if the loop blocks: written to the shared ring
   * before any of them starts (a processor that blocks at once must be covered). `held`: every
   * job the keeper holds, these included, for a round when the ring asks for one.
   */
  leased(
    jobs: readonly { id: string; token: string }[],
    leaseMs: number,
    everyMs: number,
    held: Iterable<[string, { token: string; leaseMs: number }]>,
  ): void {
    if (jobs.length === 0 || this.failed) return;
    this.saidEmpty = false;
    if (!this.ring && !this.open(leaseMs)) return;
    if (this.ring!.append(jobs, everyMs)) this.round(everyMs, held);
  }

  /** A renewal round of the keeper: the loop is alive, and these are the jobs it holds. */
  round(everyMs: number, held: Iterable<[string, { token: string; leaseMs: number }]>): void {
    if (!this.thread || !this.ring) return;
    const list: [string, string, number][] = [];
    for (const [id, h] of held) list.push([id, h.token, h.leaseMs]);
    // an idle worker says nothing (its next lease reply speaks for it): no message per round while idle
    if (list.length === 0 && this.saidEmpty) {
      this.ring.beat();
      return;
    }
    this.saidEmpty = list.length === 0;
    this.send({ t: 'round', k: this.k, everyMs, held: list, from: this.ring.markRound() });
  }

  close(): void {
    if (!this.thread) return;
    this.send({ t: 'close', k: this.k });
    this.thread = undefined;
    this.ring = undefined;
  }

  /** Starts (or joins) the thread and hands it this keeper's ring; false when the guard cannot run. */
  private open(leaseMs: number): boolean {
    this.thread = guardThread(this.logger);
    if (!this.thread) {
      this.failed = true;
      return false;
    }
    const ring = newRingMemory();
    this.ring = new RingWriter(ring);
    this.thread.postMessage({ t: 'open', k: this.k, connection: this.connection!, ring, leaseMs, ...this.target } satisfies GuardMessage);
    return true;
  }

  private send(message: GuardMessage): void {
    this.thread?.postMessage(message);
  }
}
