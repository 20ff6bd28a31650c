// A sluice Job in the shape Bull Board reads and acts on (its QueueJob): the fields its job list
// and job page show, and the actions its buttons call (retry, remove, promote, change delay).
// What has no sluice equivalent is refused with a message (see adapter.ts for the list).
import type { JobRetryStatus, JobState as BoardJobState, QueueJob, QueueJobJson } from '@bull-board/api/dist/types.js';
import type { Job } from '../job/job.js';
import { withJobStatus } from './refusal.js';

/**
 * One sluice job as Bull Board sees it: the fields of its job list and job page, and the
 * actions of its buttons, each mapped onto the sluice {@link Job} it wraps.
 */
export class BoardJob implements QueueJob {
  /** The job's id. */
  readonly id: string;
  /** The job's name. */
  readonly name: string;
  /** The job's data. */
  readonly data: unknown;
  /** The job's options as sluice stores them (Bull Board reads `delay` from them). */
  readonly opts: QueueJob['opts'] & Record<string, unknown>;

  /** @param job - the sluice job, as its consumer group sees it. */
  constructor(readonly job: Job) {
    this.id = job.id;
    this.name = job.name;
    this.data = job.data;
    this.opts = { ...job.opts };
  }

  /** Runs a finished job again (sluice's `job.retry(state)`): it waits at the back of its group's line. */
  async retry(state: JobRetryStatus = 'failed'): Promise<void> {
    await withJobStatus(() => this.job.retry(state));
  }

  /** Deletes the job from its group (sluice's `job.remove()`); refused (409) while it is active. */
  async remove(): Promise<void> {
    await withJobStatus(() => this.job.remove());
  }

  /** Makes a delayed job (or a retry waiting out its backoff) wait to run at once. */
  async promote(): Promise<void> {
    await withJobStatus(() => this.job.promote());
  }

  /** Moves a delayed job to run `delay` ms from now (sluice's `job.changeDelay`). */
  async changeDelay(delay: number): Promise<void> {
    await withJobStatus(() => this.job.changeDelay(Math.max(0, Math.round(delay))));
  }

  /**
   * Replaces the job's data (sluice's `job.updateData`); a finished job is refused with 409 and
   * the reason.
   */
  async updateData(data: Record<string, unknown>): Promise<void> {
    await withJobStatus(() => this.job.updateData(data));
  }

  /** The job's state in its consumer group now ('unknown' when it no longer exists there). */
  async getState(): Promise<BoardJobState> {
    return this.job.getState();
  }

  /** The job's fields under the names Bull Board reads. */
  toJSON(): QueueJobJson {
    const j = this.job;
    const opts = j.opts as Record<string, unknown>;
    const dedup = (opts.deduplication as { id?: string } | undefined)?.id;
    return {
      id: j.id,
      name: j.name,
      data: j.data,
      opts: j.opts,
      // numbers and objects are what sluice stores; anything else (null) shows as 0
      progress: typeof j.progress === 'number' || (typeof j.progress === 'object' && j.progress !== null) ? j.progress : 0,
      attemptsMade: j.attemptsMade,
      attemptsStarted: j.deliveries,
      stalledCounter: j.stalls,
      timestamp: j.timestamp,
      processedOn: j.processedOn ?? null,
      finishedOn: j.finishedOn ?? null,
      failedReason: j.failedReason ?? '',
      // Bull Board lists one stack per attempt (and reverses the list); sluice keeps the lines of the latest
      stacktrace: j.stacktrace.length > 0 ? [j.stacktrace.join('\n')] : [],
      returnvalue: j.returnvalue ?? null,
      ...(typeof opts.delay === 'number' ? { delay: opts.delay } : {}),
      ...(typeof opts.priority === 'number' ? { priority: opts.priority } : {}),
      ...(dedup ? { deduplicationId: dedup } : {}),
    };
  }
}
