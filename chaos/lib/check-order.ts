// The order check of ordered jobs: jobs sharing an ordering key must run one at a time, in the
// order Redis accepted them (their ids come from a counter, so id order is add order). A job
// leased (any delivery) before the previous job of its key finished for good — completed or
// dead-lettered, after its retries — is an order violation; with keyConcurrency 1 that also
// covers two jobs of a key running at once.
import type { FinalJob } from './final-state.js';
import type { HistoryRecord } from './history.js';

export interface OrderResult {
  keys: number;
  /** Pairs of consecutive jobs of a key where the later one was leased before the earlier finished. */
  violations: number;
  examples: string[];
}

export function checkOrder(records: HistoryRecord[], finals: Map<string, FinalJob>): OrderResult {
  const firstLease = new Map<string, number>();
  for (const r of records) {
    if (r.k !== 'start') continue;
    const leased = r.po || r.t;
    firstLease.set(r.id, Math.min(firstLease.get(r.id) ?? Infinity, leased));
  }
  const byKey = new Map<string, string[]>();
  for (const r of records) {
    if (r.k !== 'add') continue;
    const key = finals.get(r.id)?.orderingKey;
    if (key === undefined) continue;
    const ids = byKey.get(key) ?? [];
    ids.push(r.id);
    byKey.set(key, ids);
  }
  const result: OrderResult = { keys: byKey.size, violations: 0, examples: [] };
  for (const [key, ids] of byKey) {
    ids.sort((a, b) => Number(a) - Number(b));
    for (let i = 1; i < ids.length; i++) {
      const before = finals.get(ids[i - 1]!)?.finishedOn;
      const leased = firstLease.get(ids[i]!);
      if (before === undefined || leased === undefined || leased >= before) continue;
      result.violations++;
      if (result.examples.length < 10) {
        result.examples.push(`key ${key}: job ${ids[i]} leased ${before - leased} ms before job ${ids[i - 1]} finished for good`);
      }
    }
  }
  return result;
}
