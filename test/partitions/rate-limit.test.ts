// A partitioned queue's group rate limit holds for the whole queue (docs/partitions.md,
// src/partitions/rate-gate.ts): however the jobs spread over partitions and workers, at most
// `max` start in any window, and a queue whose jobs sit in one partition still gets the full rate.
// The limit is kept on the reserved starts; a job's lease (processedOn, what a test can see)
// follows its reservation by one round trip: windows are checked short of that slack.
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { addToPartition, jobsFor } from '../helpers/partitions.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const t = useRedis();
type Data = { p: number; i: number };

/** How late a lease may follow its reservation on a loaded test machine (ms). */
const SLACK_MS = 100;

/** The most starts in any window of `ms` (starts: Redis times, ms). */
function busiestWindow(starts: number[], ms: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= ms) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('partitioned queue: the group rate limit', () => {
  it('at most `max` starts per window over every partition and worker', async () => {
    const at = { prefix: t.newPrefix(), queue: 'calls', partitions: 4 };
    const starts: number[] = [];
    const run = async (job: Job<Data>) => {
      starts.push(job.processedOn!);
    };
    const limiter = { max: 10, duration: 500 };
    const a = t.worker<Data>(at.queue, run, { partitions: 4, concurrency: 8, limiter });
    const b = t.worker<Data>(at.queue, run, { partitions: 4, concurrency: 8, limiter });
    await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
    for (let p = 0; p < 4; p++) await addToPartition(t.admin, { ...at, partition: p }, jobsFor(p, 10));
    await waitFor(() => starts.length === 40, 10_000, 'every job');
    const span = Math.max(...starts) - Math.min(...starts);
    if (process.env.SLUICE_REPORT) {
      console.log('partitions: rate limit 10 per 500 ms over 4 partitions, 2 workers:', {
        span,
        busiest: busiestWindow(starts, 500),
        busiestShortOfSlack: busiestWindow(starts, 500 - SLACK_MS),
      });
    }
    // per partition, the limit would have let all 40 start in the first window
    expect(busiestWindow(starts, 500 - SLACK_MS)).toBeLessThanOrEqual(10);
    // and the full rate was used: 40 starts need 4 windows, so a little over 1.5 s
    expect(span).toBeGreaterThanOrEqual(1500);
    expect(span).toBeLessThan(2500);
  });

  it('jobs in one partition get the whole rate, not a share of it', async () => {
    const at = { prefix: t.newPrefix(), queue: 'calls', partitions: 4 };
    const starts: number[] = [];
    const worker = t.worker<Data>(
      at.queue,
      async (job) => {
        starts.push(job.processedOn!);
      },
      { partitions: 4, concurrency: 8, limiter: { max: 10, duration: 500 } },
    );
    await worker.waitUntilReady();
    await addToPartition(t.admin, { ...at, partition: 2 }, jobsFor(2, 30));
    await waitFor(() => starts.length === 30, 10_000, 'every job');
    expect(busiestWindow(starts, 500 - SLACK_MS)).toBeLessThanOrEqual(10);
    // a quarter of the limit per partition would need 12 windows (6 s); the whole limit, 3
    expect(Math.max(...starts) - Math.min(...starts)).toBeLessThan(1500);
  });
});
