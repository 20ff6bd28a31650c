// The README's examples run as tests, so what the README shows keeps working.
import { describe, expect, it } from 'vitest';
import { schedulingTour } from '../examples/scheduling.js';
import { useRedis } from './helpers/setup.js';

describe('examples', () => {
  const t = useRedis();

  it('examples/scheduling.ts: delays, deadlines, priorities, debounce and schedulers', async () => {
    const queue = t.queue<Record<string, unknown>>('tour');
    await schedulingTour(queue);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 2, delayed: 2 });
    const delayed = await queue.getJobs('delayed');
    expect(delayed.find((j) => j.name === 'reindex')?.data).toEqual({ doc: 42, rev: 3 });
    expect((await queue.getSchedulers()).map((s) => s.key).sort()).toEqual(['daily-report', 'heartbeat']);
  });
});
