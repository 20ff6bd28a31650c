// sluice's metrics in the Prometheus text format: the metric families (names, types, help) and
// the samples of one queue, from bounded reads only (job counts, the metrics totals, the group
// cursors, the worker registry). The table of names is in docs/metrics.md.
import type { Redis } from 'ioredis';
import type { GroupInfo } from '../fanout/groups.js';
import type { JobCounts } from '../queue/queue-reader.js';
import type { QueueKeys } from '../redis/keys.js';
import type { PrometheusText } from './prometheus.js';
import { groupTotals, liveWorkers, type PartRef, partsOf, rejections } from './queue-metrics.js';
import { redisNow } from './metrics-store.js';

/** Metric names, one per family. */
export const METRIC = {
  jobs: 'sluice_jobs',
  completed: 'sluice_jobs_completed_total',
  failed: 'sluice_jobs_failed_total',
  retried: 'sluice_jobs_retried_total',
  deadLettered: 'sluice_jobs_dead_lettered_total',
  stalled: 'sluice_jobs_stalled_total',
  wait: 'sluice_job_wait_seconds',
  processing: 'sluice_job_processing_seconds',
  oldestWaiting: 'sluice_oldest_waiting_job_age_seconds',
  lag: 'sluice_group_lag',
  rateLimited: 'sluice_rate_limited_seconds_total',
  rejections: 'sluice_backpressure_rejections_total',
  workers: 'sluice_workers',
  paused: 'sluice_group_paused',
} as const;

/** Declares every family (so that each appears with its HELP and TYPE, even without samples). */
export function declareFamilies(text: PrometheusText): void {
  text
    .declare(METRIC.jobs, 'gauge', 'Jobs of the group by state (getJobCounts).')
    .declare(METRIC.completed, 'counter', 'Jobs completed.')
    .declare(METRIC.failed, 'counter', 'Failed attempts: retried plus dead-lettered.')
    .declare(METRIC.retried, 'counter', 'Failed attempts that were retried.')
    .declare(METRIC.deadLettered, 'counter', 'Jobs failed for good (moved to the failed set).')
    .declare(METRIC.stalled, 'counter', 'Expired leases reclaimed (stalled jobs).')
    .declare(METRIC.wait, 'histogram', 'Time from when a job was ready to run (added, or due) to its lease; first deliveries.')
    .declare(METRIC.processing, 'histogram', 'Time the processor ran a job (each attempt that ended in a completion or failure).')
    .declare(METRIC.oldestWaiting, 'gauge', 'Age of the oldest job the group has not read from the stream yet (0: none).')
    .declare(METRIC.lag, 'gauge', 'Stream entries the group has not read yet.')
    .declare(METRIC.rateLimited, 'counter', "Time the group's workers were held by its rate limit, summed over workers.")
    .declare(METRIC.rejections, 'counter', 'Jobs refused because the queue was full (maxLength).')
    .declare(METRIC.workers, 'gauge', 'Live workers of the group (heartbeat not expired).')
    .declare(METRIC.paused, 'gauge', '1 while the group is paused.');
}

/** The jobs counted by a queue's getJobCounts (any queue-like object). */
export interface CountsReader {
  getJobCounts(opts: { group?: string }): Promise<JobCounts>;
}

/** Age (ms) of the first stream entry after `lastId` (the group's first unread job), 0 when none. */
async function oldestUnreadMs(client: Redis, keys: QueueKeys, lastId: string, now: number): Promise<number> {
  const [first] = await client.xrange(keys.stream, `(${lastId}`, '+', 'COUNT', 1);
  if (!first) return 0;
  return Math.max(0, now - Number(first[0].split('-')[0]));
}

/** Per group of one partition: its cursor and lag. */
async function cursors(parts: PartRef[]): Promise<GroupInfo[][]> {
  return Promise.all(parts.map((p) => p.groups()));
}

/** Writes one queue's samples (families declared with declareFamilies). */
export async function writeQueueMetrics(text: PrometheusText, name: string, queue: CountsReader): Promise<void> {
  const parts = await partsOf(queue);
  const now = await redisNow(parts[0]!.client);
  const perPart = await cursors(parts);
  const groups = perPart[0]!.map((g) => g.name);
  const workers = await liveWorkers(queue);
  text.sample(METRIC.rejections, { queue: name }, await rejections(parts));
  for (const group of groups) {
    const labels = { queue: name, group };
    const [counts, totals] = await Promise.all([queue.getJobCounts({ group }), groupTotals(parts, group)]);
    for (const [state, n] of Object.entries(counts)) {
      if (typeof n === 'number') text.sample(METRIC.jobs, { ...labels, state }, n);
    }
    text.sample(METRIC.paused, labels, counts.paused ? 1 : 0);
    text.sample(METRIC.completed, labels, totals.completed);
    text.sample(METRIC.failed, labels, totals.retried + totals.deadLettered);
    text.sample(METRIC.retried, labels, totals.retried);
    text.sample(METRIC.deadLettered, labels, totals.deadLettered);
    text.sample(METRIC.stalled, labels, totals.stalled);
    text.histogramMs(METRIC.wait, labels, totals.wait);
    text.histogramMs(METRIC.processing, labels, totals.processing);
    let lag = 0;
    let oldest = 0;
    for (let i = 0; i < parts.length; i++) {
      const info = perPart[i]!.find((g) => g.name === group);
      if (!info) continue;
      lag += info.unread;
      if (info.unread > 0) oldest = Math.max(oldest, await oldestUnreadMs(parts[i]!.client, parts[i]!.keys, info.lastDeliveredId, now));
    }
    text.sample(METRIC.oldestWaiting, labels, oldest / 1000);
    text.sample(METRIC.lag, labels, lag);
    text.sample(METRIC.rateLimited, labels, totals.rateLimitedMs / 1000);
    text.sample(METRIC.workers, labels, workers.filter((w) => w.group === group).length);
  }
}
