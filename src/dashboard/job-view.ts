// A job as the dashboard shows it: a summary for a list (long text cut), and the whole job for
// its page, with the newest lines of its log (bounded) and its timeline.
import type { Job } from '../job/job.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { readJobTimeline } from '../ops/job-timeline.js';
import { jobRecord } from '../ops/job-record.js';
import type { JobDetailResponse, JobExplanation, JobSummary } from './api-types.js';

/** The most log lines a job page shows (the newest). */
export const LOG_LINES = 200;

/** A job for a list. */
export function jobSummary(job: Job): JobSummary {
  let preview: string;
  try {
    preview = JSON.stringify(job.data) ?? '';
  } catch {
    preview = '';
  }
  return {
    id: job.id,
    name: job.name,
    timestamp: job.timestamp,
    processedOn: job.processedOn ?? null,
    finishedOn: job.finishedOn ?? null,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason === undefined ? null : job.failedReason.slice(0, 300),
    progress: job.progress,
    dataPreview: preview.slice(0, 200),
  };
}

/** The newest LOG_LINES lines of the job's log and how many it holds (a partitioned queue: the partition holding them). */
async function readLogs(queue: Queue, group: string, id: string): Promise<{ lines: string[]; total: number }> {
  for (const part of await queueInternals(queue).partitions()) {
    const { client, keys } = queueInternals(part);
    const key = keys.group(group).logs(id);
    const [[, total], [, lines]] = ((await client.pipeline().llen(key).lrange(key, -LOG_LINES, -1).exec()) ?? []) as [
      [unknown, number],
      [unknown, string[]],
    ];
    if (Number(total) > 0) return { lines, total: Number(total) };
  }
  return { lines: [], total: 0 };
}

/** The whole job for its page. */
export async function jobDetail(queue: Queue, job: Job, explain: JobExplanation | null): Promise<JobDetailResponse> {
  const [state, logs, timeline] = await Promise.all([
    job.getState(),
    readLogs(queue, job.group, job.id),
    readJobTimeline(queue, job.group, job.id),
  ]);
  return {
    ...jobRecord(job, state),
    logs,
    timeline,
    explain,
  };
}
