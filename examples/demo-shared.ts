// What the demo's producer (demo.ts) and its worker processes (demo-worker.ts) share: the
// queue name, the shape of an order, and the IPC messages a worker process sends its parent.

export const QUEUE = 'orders';

export interface Order {
  order: number;
  sku: string;
  qty: number;
  priceCents: number;
  /** Makes the demo's special jobs misbehave: fail twice then succeed, or fail for good. */
  simulate?: 'flaky' | 'poison';
}

export interface Receipt {
  order: number;
  chargedCents: number;
  pid: number;
}

/** Worker process → parent. */
export type WorkerMessage =
  | { type: 'ready'; pid: number }
  | { type: 'stats'; pid: number; completed: number; failed: number; retried: number }
  /** One line of the story of a special job (every attempt of the flaky and poison jobs). */
  | { type: 'trace'; pid: number; jobId: string; text: string };

/** Parent → worker process. */
export type ParentMessage = { type: 'stop' };
