// The dashboard's source of a group's workers: the live registry their heartbeats keep
// (queue.getWorkers, docs/metrics.md), unless createDashboard's `workers` option gives another.
import type { Queue } from '../queue/queue.js';
import type { WorkerSummary } from './api-types.js';

/** The most workers the dashboard lists per group. */
export const MAX_LISTED_WORKERS = 200;

/** The group's workers (at most MAX_LISTED_WORKERS). */
export async function readWorkers(queue: Queue, group: string): Promise<WorkerSummary[] | null> {
  return (await queue.getWorkers({ group })).slice(0, MAX_LISTED_WORKERS);
}
