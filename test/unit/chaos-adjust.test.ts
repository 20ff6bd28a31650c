// The chaos runner's reading of a queue that removes completed jobs (chaos/lib/adjust.ts): a job
// with no record left counts as completed only when a completion of it was accepted; a job
// with no record and no accepted completion stays lost for the checker.
import { describe, expect, it } from 'vitest';
import { removedAsCompleted } from '../../chaos/lib/adjust.js';
import { check } from '../../chaos/lib/check.js';
import type { FinalJob } from '../../chaos/lib/final-state.js';
import type { HistoryRecord } from '../../chaos/lib/history.js';

const gone: FinalJob = { state: undefined, deliveries: 0, stalls: 0, result: undefined, finishedOn: undefined, orderingKey: undefined };

describe('chaos history of a queue with removeOnComplete', () => {
  it('counts a removed job as completed only by its accepted completion', () => {
    const records: HistoryRecord[] = [
      { k: 'add', id: 'a', seq: 1, pid: 1, t: 0 },
      { k: 'add', id: 'b', seq: 2, pid: 1, t: 0 },
      { k: 'start', id: 'a', seq: 1, d: 1, st: 0, a: 0, tk: 'x', po: 1, pid: 2, t: 1 },
      { k: 'done', id: 'a', d: 1, tk: 'x', pid: 2, t: 2 },
    ];
    const finals = new Map<string, FinalJob>([
      ['a', gone],
      ['b', gone],
    ]);
    expect(removedAsCompleted(records, finals)).toBe(1);
    expect(finals.get('a')?.state).toBe('completed');
    expect(finals.get('b')?.state).toBeUndefined();
    expect(check(records, finals)).toMatchObject({ acked: 2, completed: 1, lost: 1 });
  });
});
