// How adds travel to Redis. AddBatcher coalesces the add() calls made in the same tick into
// one enqueue script call (invariant 6, docs/invariants.md: one round trip for many jobs), so that a producer
// adding in parallel costs about what addBulk costs; each caller still gets its own job, or
// its own typed error. sendInChunks carries addBulk, and accounts for every job when a chunk
// fails part-way through a bulk.
import { certainlyNotApplied } from '../redis/redis-errors.js';
import type { EnqueueItem, EnqueueStatus } from '../redis/scripts.js';

export interface Enqueued {
  now: number;
  id: string;
  status: EnqueueStatus;
}

type Send = (items: EnqueueItem[]) => Promise<{ now: number; jobs: { id: string; status: EnqueueStatus }[] }>;

interface Pending {
  item: EnqueueItem;
  resolve: (result: Enqueued) => void;
  reject: (err: unknown) => void;
}

export class AddBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly send: Send,
    private readonly maxBatch: number,
    /** Makes the error each caller of a failed batch gets (a typed error of its own). */
    private readonly toError: (err: unknown) => unknown = (err) => err,
  ) {}

  add(item: EnqueueItem): Promise<Enqueued> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.send(batch.map((p) => p.item)).then(
        ({ now, jobs }) => {
          batch.forEach((p, i) => {
            p.resolve({ now, ...jobs[i]! });
          });
        },
        (err: unknown) => {
          for (const p of batch) p.reject(this.toError(err));
        },
      );
    }
  }
}

/** What became of each item of a bulk; every index is in exactly one of added (by its job), notAdded, unknown. */
export interface BulkOutcome<J> {
  /** The jobs of the items added (or that existed), in input order. */
  added: J[];
  /** Items certainly not written: refused (queue full), refused by Redis before writing, or never sent. */
  notAdded: number[];
  /** Items of a chunk whose reply was lost: they may or may not have been written. */
  unknown: number[];
  /** Whether a chunk failed; `failure` is then its error (as the send rejected). */
  failed: boolean;
  failure: unknown;
}

/**
 * Sends items in chunks of `chunkSize`, up to `window` chunks pipelined at a time (Redis runs
 * one while the next is sent). After a window in which a chunk failed or the queue was full,
 * nothing more is sent. Every chunk of the window is waited for, so that the outcome is exact.
 */
export async function sendInChunks<J>(
  items: EnqueueItem[],
  send: Send,
  chunkSize: number,
  window: number,
  toJob: (index: number, id: string, now: number) => J,
  /** Before a window is sent: a function telling, after a failure, whether it was never written (sendProbe). */
  probe: () => () => boolean,
): Promise<BulkOutcome<J>> {
  const out: BulkOutcome<J> = { added: [], notAdded: [], unknown: [], failed: false, failure: undefined };
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, k) => from + k);
  const starts: number[] = [];
  for (let i = 0; i < items.length; i += chunkSize) starts.push(i);
  for (let w = 0; w < starts.length; w += window) {
    const chunkStarts = starts.slice(w, w + window);
    const neverSent = probe();
    const settled = await Promise.allSettled(chunkStarts.map((start) => send(items.slice(start, start + chunkSize))));
    settled.forEach((result, c) => {
      const start = chunkStarts[c]!;
      if (result.status === 'fulfilled') {
        const { now, jobs } = result.value;
        jobs.forEach((r, n) => {
          if (r.status === 'full') out.notAdded.push(start + n);
          else out.added.push(toJob(start + n, r.id, now));
        });
        return;
      }
      if (!out.failed) out.failure = result.reason;
      out.failed = true;
      const indexes = range(start, Math.min(start + chunkSize, items.length));
      (certainlyNotApplied(result.reason) || neverSent() ? out.notAdded : out.unknown).push(...indexes);
    });
    if (out.failed || out.notAdded.length > 0) {
      // the rest was never sent
      out.notAdded.push(...range(starts[w + window] ?? items.length, items.length));
      out.notAdded.sort((a, b) => a - b);
      return out;
    }
  }
  return out;
}
