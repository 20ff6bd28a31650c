// The dashboard's source of "why isn't this job running?": queue.explain (docs/explain.md),
// unless createDashboard's `explain` option gives another.
import type { Queue } from '../queue/queue.js';
import type { JobExplanation } from './api-types.js';

/** Why job `id` of `group` is where it is. */
export async function readExplain(queue: Queue, group: string, id: string): Promise<JobExplanation | null> {
  return queue.explain(id, { group });
}
