// Keeps the leases of the jobs a worker is running alive: renews them all in one script call
// every third of the lease, and reports the ones it lost (expired and reclaimed elsewhere,
// e.g. after this process froze) so that their processors are aborted. It does not run jobs.
import type { Logger } from '../logger.js';
import type { Scripts } from '../redis/scripts.js';
import type { LeaseGuard } from './lease-guard.js';

/** Most leases renewed per extend call. */
export const RENEW_CHUNK = 1000;

/** How often a lease of `leaseMs` is renewed: every third of it (at least every 20 ms). */
export function renewalPeriod(leaseMs: number): number {
  return Math.max(20, Math.floor(leaseMs / 3));
}

/** Held leases grouped by their length, in chunks of RENEW_CHUNK: one extend call per chunk. */
export function renewalBatches(held: Iterable<[string, { token: string; leaseMs: number }]>): [number, [string, string][]][] {
  const byLength = new Map<number, [string, string][]>();
  for (const [id, h] of held) {
    let list = byLength.get(h.leaseMs);
    if (!list) byLength.set(h.leaseMs, (list = []));
    list.push([id, h.token]);
  }
  const batches: [number, [string, string][]][] = [];
  for (const [ms, pairs] of byLength) {
    for (let i = 0; i < pairs.length; i += RENEW_CHUNK) batches.push([ms, pairs.slice(i, i + RENEW_CHUNK)]);
  }
  return batches;
}

/** A renewal round this much later than due says the event loop was blocked (at least this long). */
const BLOCKED_LOOP_MS = 500;

interface Held {
  token: string;
  leaseMs: number;
}

export class LeaseKeeper {
  private readonly held = new Map<string, Held>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private everyMs = Infinity;
  private lastTick = 0;
  private heldSinceTick = false;

  constructor(
    private readonly scripts: Scripts,
    private readonly group: string,
    private readonly leaseMs: number,
    private readonly onLost: (id: string) => void,
    private readonly logger: Logger,
    /** A renewal found a request to cancel the job (queue.cancelJob): its reason. */
    private readonly onCancel: (id: string, reason: string) => void = () => undefined,
    /** Renews from a helper thread while the event loop is blocked (lease-guard.ts); undefined: off. */
    private readonly guard?: LeaseGuard,
  ) {}

  start(): void {
    if (!this.timer) this.schedule(this.leaseMs);
  }

  /** Renews every third of `leaseMs`; a shorter lease (extendLease) makes renewals more frequent. */
  private schedule(leaseMs: number): void {
    const every = renewalPeriod(leaseMs);
    if (this.timer && every >= this.everyMs) return;
    if (this.timer) clearInterval(this.timer);
    this.everyMs = every;
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  /**
   * A renewal round, late when the event loop was blocked (a CPU-bound processor in the worker's
   * own thread): renewals stop while it is, so a block longer than the lease loses the jobs.
   * Said once per block, with its length; a sandbox (docs/sandbox.md) keeps the loop free.
   */
  private tick(): void {
    const now = performance.now();
    const lateMs = now - this.lastTick - this.everyMs;
    this.lastTick = now;
    // a job may have started and finished within the block: it counts too
    const held = this.heldSinceTick || this.held.size > 0;
    this.heldSinceTick = this.held.size > 0;
    if (lateMs > BLOCKED_LOOP_MS && held) {
      this.logger.warn(
        { blockedMs: Math.round(lateMs), leaseMs: this.leaseMs },
        'the event loop was blocked, so leases were not renewed: a processor that blocks longer than a lease has its job run again; ' +
          'run CPU-bound processors in a sandbox (docs/sandbox.md)',
      );
    }
    this.guard?.round(this.everyMs, this.held);
    void this.renewAll();
  }

  /** Holds a job's lease, renewed to `leaseMs` (default: the worker's) from then on. */
  track(id: string, token: string, leaseMs = this.leaseMs): void {
    this.held.set(id, { token, leaseMs });
    this.heldSinceTick = true;
    if (this.timer && leaseMs < this.leaseMs) this.schedule(leaseMs);
  }

  /** A lease reply's jobs, just tracked: the guard renews them to the full lease if the loop blocks. */
  guardLeased(jobs: readonly { id: string; token: string }[]): void {
    this.guard?.leased(jobs, this.leaseMs, Math.min(this.everyMs, renewalPeriod(this.leaseMs)), this.held);
  }

  untrack(id: string, token?: string): void {
    if (token === undefined || this.held.get(id)?.token === token) this.held.delete(id);
  }

  /** One job's lease, to `ms` from now; kept at that length from then on. */
  async extend(id: string, token: string, ms: number): Promise<boolean> {
    const entry = this.held.get(id);
    if (!entry || entry.token !== token) return false;
    entry.leaseMs = ms;
    if (this.timer) this.schedule(ms);
    const { lost, cancelled } = await this.scripts.extend(this.group, ms, [[id, token]]);
    if (lost.length) this.lose([[id, token]]);
    this.cancel(cancelled);
    return lost.length === 0;
  }

  /** Passes on the cancel requests a renewal found, for jobs still held. */
  private cancel(requests: [string, string][]): void {
    for (const [id, reason] of requests) if (this.held.has(id)) this.onCancel(id, reason);
  }

  /** Drops the given deliveries, if still held with that token (a newer delivery is kept). */
  private lose(pairs: [string, string][]): void {
    for (const [id, token] of pairs) {
      if (this.held.get(id)?.token !== token) continue;
      this.held.delete(id);
      this.onLost(id);
    }
  }

  /** Renews every held lease now: one call per distinct lease length (usually one). */
  async renewAll(): Promise<void> {
    if (this.running || this.held.size === 0) return;
    this.running = true;
    try {
      for (const [ms, chunk] of renewalBatches(this.held)) {
        // a job that finished (or was delivered again) meanwhile is skipped by lose()
        const renewal = await this.scripts.extend(this.group, ms, chunk);
        const lost = new Set(renewal.lost);
        this.lose(chunk.filter(([id]) => lost.has(id)));
        this.cancel(renewal.cancelled);
      }
    } catch (err) {
      this.logger.warn({ err }, 'renewing leases failed; will retry');
    } finally {
      this.running = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.everyMs = Infinity;
    this.held.clear();
    this.guard?.close();
  }
}
