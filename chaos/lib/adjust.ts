// Reading a scenario's history when the queue removed finished jobs: a job removed on
// completion (removeOnComplete) counts as completed when its completion was accepted. Then the
// usual check (lib/check.ts).
import type { Fleet } from './fleet.js';
import { check, type CheckResult } from './check.js';
import type { QueueAddress } from './child-config.js';
import { readFinalStates, type FinalJob } from './final-state.js';
import { readHistory, type HistoryRecord } from './history.js';

/** A job with no record left whose completion was accepted (a `done` record) was removed on completion. */
export function removedAsCompleted(records: HistoryRecord[], finals: Map<string, FinalJob>): number {
  let n = 0;
  const done = new Set(records.flatMap((r) => (r.k === 'done' ? [r.id] : [])));
  for (const [id, f] of finals) {
    if (f.state !== undefined || !done.has(id)) continue;
    finals.set(id, { ...f, state: 'completed' });
    n++;
  }
  return n;
}

export interface CheckedRun {
  check: CheckResult;
  records: HistoryRecord[];
  finals: Map<string, FinalJob>;
  /** Jobs counted as completed from their accepted completion (their record was removed). */
  removed: number;
}

/**
 * finish() of scenarios/common.ts, also handing back the history and end states, and with
 * `removedOnComplete`, counting removed jobs by their accepted completion.
 */
export async function finishChecked(fleet: Fleet, address: QueueAddress, opts: { removedOnComplete?: boolean } = {}): Promise<CheckedRun> {
  await fleet.closeAll();
  const records = await readHistory(address.recorderUrl);
  const ids = records.flatMap((r) => (r.k === 'add' ? [r.id] : []));
  const finals = await readFinalStates(address.url, address.prefix, address.queue, ids);
  const removed = opts.removedOnComplete ? removedAsCompleted(records, finals) : 0;
  return { check: check(records, finals), records, finals, removed };
}
