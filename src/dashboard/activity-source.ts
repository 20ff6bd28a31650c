// The dashboard's source of a group's activity (throughput per minute, wait and processing
// percentiles): the metrics the workers record (src/metrics/activity.ts, docs/metrics.md). A
// caller can give its own source through createDashboard's `activity` option.
import { readGroupActivity } from '../metrics/activity.js';
import type { Queue } from '../queue/queue.js';
import type { GroupActivity } from './api-types.js';

/** Reads a group's activity over the last hour, from the metrics its workers flush. */
export async function readActivity(queue: Queue, group: string): Promise<GroupActivity | null> {
  return readGroupActivity(queue, group);
}
