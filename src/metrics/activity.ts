// A group's recent activity for the dashboard: completed and failed (dead-lettered) jobs per
// minute over the last hour, and the wait and processing time percentiles estimated from the
// last hour's histograms. Bounded reads of the metrics rings (metrics-store.ts), summed over
// the partitions of a partitioned queue.
import { validateGroupName } from '../validate.js';
import { quantile, type Histogram } from './histogram.js';
import { readMinuteCounts, redisNow } from './metrics-store.js';
import { partsOf, recentHistograms } from './queue-metrics.js';

/** Minutes of activity the dashboard shows. */
const ACTIVITY_MINUTES = 60;

/** p50 and p95 of a histogram (ms). */
export interface Percentiles {
  p50: number;
  p95: number;
}

/** What readGroupActivity returns. */
export interface GroupActivity {
  /** Jobs per minute over the last 60 minutes, oldest first (the last item is the current minute). */
  perMinute: { completed: number[]; failed: number[] };
  /** Wait time percentiles over the last hour (ms); absent when no wait was recorded. */
  waitMs?: Percentiles;
  /** Processing time percentiles over the last hour (ms); absent when no job ran. */
  processingMs?: Percentiles;
}

function percentiles(h: Histogram): Percentiles | undefined {
  const p50 = quantile(h, 0.5);
  const p95 = quantile(h, 0.95);
  return p50 === undefined || p95 === undefined ? undefined : { p50, p95 };
}

/**
 * A group's activity over the last hour (Redis time), for the dashboard.
 * @param queue - a Queue (partitioned or not).
 * @param group - the group's name.
 */
export async function readGroupActivity(queue: object, group: string): Promise<GroupActivity> {
  const name = validateGroupName(group);
  const parts = await partsOf(queue);
  const now = await redisNow(parts[0]!.client);
  const completed = new Array<number>(ACTIVITY_MINUTES).fill(0);
  const failed = new Array<number>(ACTIVITY_MINUTES).fill(0);
  const [counts, hist] = await Promise.all([
    Promise.all(parts.map((p) => readMinuteCounts(p.client, p.keys, name, now, ACTIVITY_MINUTES))),
    recentHistograms(parts, name, now),
  ]);
  for (const c of counts) {
    for (let i = 0; i < ACTIVITY_MINUTES; i++) {
      // newest first in the ring, oldest first here
      completed[ACTIVITY_MINUTES - 1 - i]! += c.completed[i]!;
      failed[ACTIVITY_MINUTES - 1 - i]! += c.deadLettered[i]!;
    }
  }
  const activity: GroupActivity = { perMinute: { completed, failed } };
  const waitMs = percentiles(hist.wait);
  const processingMs = percentiles(hist.processing);
  if (waitMs) activity.waitMs = waitMs;
  if (processingMs) activity.processingMs = processingMs;
  return activity;
}
