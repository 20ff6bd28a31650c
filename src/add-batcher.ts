// Coalesces the add() calls made in the same tick into one enqueue script call (invariant 6:
// one round trip for many jobs), so that a producer adding in parallel costs about what
// addBulk costs. Each caller still gets its own job, or the error of its batch.
import type { EnqueueItem, EnqueueStatus } from './scripts.js';

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
        ({ now, jobs }) => batch.forEach((p, i) => p.resolve({ now, ...jobs[i]! })),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
    }
  }
}
