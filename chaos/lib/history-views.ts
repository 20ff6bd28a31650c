// Views of a soak history for the checkers written for the other scenarios: one consumer
// group's records (a fan-out job runs once per group, so two groups' starts of a job are no
// duplicate), scheduler jobs apart (nobody "adds" them), and the end of each job removed by
// retention (removeOnComplete / removeOnFail delete the record the lost check reads) taken
// from the history: its accepted completion, or its last failure.
import type { FinalJob } from './final-state.js';
import type { HistoryRecord } from './history.js';

/** A scheduler's job: id repeat:<key>:<slot> (docs/scheduling.md). */
export function isSchedulerJob(id: string): boolean {
  return id.startsWith('repeat:');
}

/** The group a job record belongs to: `g`, or the default group. */
export function groupOf(r: HistoryRecord): string | undefined {
  if (r.k === 'start' || r.k === 'done' || r.k === 'failed' || r.k === 'lost') return r.g ?? 'default';
  return undefined;
}

/**
 * The records of `group`'s workers, with the records every group shares (adds, faults, errors);
 * `schedulerJobs: false` leaves out the records of scheduler jobs.
 */
export function groupRecords(records: HistoryRecord[], group: string, schedulerJobs = true): HistoryRecord[] {
  return records.filter((r) => {
    const g = groupOf(r);
    if (g === undefined) return true;
    if (!schedulerJobs && 'id' in r && isSchedulerJob(r.id)) return false;
    return g === group;
  });
}

/**
 * `finals` with every job whose record is gone (state undefined) given the end the history of
 * `group` shows: completed when an ack was accepted (a `done` record), failed when its last
 * attempt failed for good. A job with neither stays gone, so it still counts as lost. Only for
 * a run with retention and no Redis rollback (a rolled-back completion would count here).
 */
export function withHistoryEnds(
  records: HistoryRecord[],
  finals: Map<string, FinalJob>,
  group: string,
): { finals: Map<string, FinalJob>; fromHistory: number } {
  const ends = new Map<string, 'completed' | 'failed'>();
  for (const r of records) {
    if (groupOf(r) !== group) continue;
    if (r.k === 'done') ends.set(r.id, 'completed');
    else if (r.k === 'failed' && !r.retry && ends.get(r.id) !== 'completed') ends.set(r.id, 'failed');
  }
  const out = new Map(finals);
  let fromHistory = 0;
  for (const [id, final] of finals) {
    if (final.state !== undefined) continue;
    const end = ends.get(id);
    if (!end) continue;
    out.set(id, { ...final, state: end });
    fromHistory++;
  }
  return { finals: out, fromHistory };
}
