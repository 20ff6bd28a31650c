// The fan-out check: every job reaches every consumer group, and each group completes it once.
// The jobs are the acknowledged adds and the scheduler jobs that ran in any group. A job
// reached a group when the group's end state of it is completed or failed for good (after
// its retries; the group's record, or the history's end of a record removed by retention:
// history-views.ts withHistoryEnds). Two accepted acks of a job in one group are counted as
// completed twice; duplicate starts inside a group are judged by the usual check (check.ts)
// run on that group's records.
import type { FinalJob } from './final-state.js';
import { groupOf, isSchedulerJob } from './history-views.js';
import type { HistoryRecord } from './history.js';

export interface FanOutResult {
  jobs: number;
  /** Per group: jobs finished (completed or failed for good), missed, completed twice. */
  groups: { group: string; finished: number; missed: number; completedTwice: number }[];
  examples: string[];
}

/** `finals`: each group's end states (with the history's ends of removed records). */
export function checkFanOut(records: HistoryRecord[], finals: Map<string, Map<string, FinalJob>>): FanOutResult {
  const jobs = new Set<string>();
  const acks = new Map<string, number>();
  for (const r of records) {
    if (r.k === 'add') jobs.add(r.id);
    else if (r.k === 'start' && isSchedulerJob(r.id)) jobs.add(r.id);
    else if (r.k === 'done') {
      const key = `${groupOf(r)}\n${r.id}`;
      acks.set(key, (acks.get(key) ?? 0) + 1);
    }
  }
  const result: FanOutResult = { jobs: jobs.size, groups: [], examples: [] };
  for (const [group, states] of finals) {
    const g = { group, finished: 0, missed: 0, completedTwice: 0 };
    for (const id of jobs) {
      const state = states.get(id)?.state;
      if (state === 'completed' || state === 'failed') g.finished++;
      else {
        g.missed++;
        if (result.examples.length < 10) result.examples.push(`fan-out: job ${id} never finished in group ${group} (${state ?? 'gone'})`);
      }
      if ((acks.get(`${group}\n${id}`) ?? 0) > 1) {
        g.completedTwice++;
        if (result.examples.length < 10) result.examples.push(`fan-out: job ${id} completed more than once in group ${group}`);
      }
    }
    result.groups.push(g);
  }
  return result;
}
