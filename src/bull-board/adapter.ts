// The Bull Board adapter: shows one consumer group of a sluice Queue as a Bull Board queue, and
// maps the dashboard's reads and actions onto the Queue's methods. One adapter per queue and
// group; the default group is shown under the queue's name, another group as `<queue>:<group>`.
//
// What does not map, and what the adapter does instead:
// - statuses 'paused', 'prioritized': sluice has no such lists (a paused group's jobs stay
//   waiting; prioritised jobs are within waiting), so the adapter offers neither. Flow parents
//   waiting for their children are 'waiting-children', as in BullMQ.
// - the queue type is reported as 'bull': Bull Board treats 'bullmq' queues as BullMQ flows and
//   asks for a BullMQ FlowProducer, which sluice has not; 'bull' makes it skip flows.
// - job data edit (updateData): sluice's job.updateData (a finished job is refused with the reason).
// - job priority edit (changePriority): not offered (Bull Board answers "not supported").
// - discard / moveToFailed from the dashboard: Bull Board does not call them; sluice has neither.
// - clean 'active': refused; a worker holds those jobs' leases. Clean 'wait' and 'delayed' walk
//   the state's pages and remove the jobs added before the grace time.
// - metrics (getMetrics): sluice's per-minute counts (queue.getMetrics); `failed` counts jobs
//   failed for good (BullMQ counts the same), `meta.prevTS` is Redis time, `prevCount` 0.
// - global concurrency: the group's setGlobalConcurrency (refused on a partitioned queue).
// - active rate-limit TTL / release: reported as 0 / nothing to release (sluice's limiter is a
//   sliding window with no key to release).
// - workers list: the live registry (queue.getWorkers); `addr` is host:pid (workers share
//   connections, so there is no client address per worker).
// - obliterate from a group other than default: refused; it would delete every group's jobs.
// - schedulers are the queue's (every group gets their jobs); no last-run job ids.
import { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
import type {
  AppJobScheduler,
  JobCleanStatus,
  JobCounts as BoardJobCounts,
  JobSchedulerRepeatOptions,
  JobSchedulerUpdateResult,
  JobStatus,
  ObliterateOptions,
  QueueAdapterOptions,
  QueueJob,
  QueueJobOptions,
  QueueMetrics,
  QueueRateLimit,
  QueueWorker,
  Status,
} from '@bull-board/api/dist/types.js';
import type { Queue } from '../queue/queue.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { JobsOptions } from '../job/job-options.js';
import type { JobState } from '../job/job.js';
import { validateGroupName } from '../validate.js';
import { BoardJob } from './board-job.js';
import { toBoardScheduler, updateSchedule } from './schedulers.js';
import { BoardActionUnsupportedError } from './refusal.js';

/** The job states sluice has, under Bull Board's names (they are the same). */
const JOB_STATUSES = ['active', 'waiting', 'waiting-children', 'delayed', 'completed', 'failed'] as const satisfies readonly (JobStatus &
  JobState)[];
/** Most jobs one sluice read returns. */
const MAX_READ = 1000;

/** Options of a {@link SluiceAdapter}: Bull Board's adapter options, and the consumer group. */
export interface SluiceAdapterOptions extends Partial<QueueAdapterOptions> {
  /** The consumer group to show (each group has its own jobs' states). @default 'default' */
  group?: string;
  /** Whether completed jobs can be retried from the dashboard (when retries are allowed). @default true */
  allowCompletedRetries?: boolean;
}

/**
 * A Bull Board queue adapter for one consumer group of a sluice {@link Queue}.
 *
 * @example
 * ```ts
 * import { createBullBoard } from '@bull-board/api';
 * import { ExpressAdapter } from '@bull-board/express';
 * import { SluiceAdapter } from 'sluice/bull-board';
 *
 * const serverAdapter = new ExpressAdapter().setBasePath('/admin/queues');
 * createBullBoard({ queues: [new SluiceAdapter(orders), new SluiceAdapter(orders, { group: 'audit' })], serverAdapter });
 * app.use('/admin/queues', serverAdapter.getRouter());
 * ```
 */
export class SluiceAdapter extends BaseAdapter {
  /** The consumer group shown. */
  readonly group: string;

  /**
   * @param queue - the sluice queue to show; the adapter does not close it.
   * @param options - Bull Board's adapter options (readOnlyMode, allowRetries, prefix, displayName, ...) and `group`.
   */
  constructor(
    readonly queue: Queue,
    options: SluiceAdapterOptions = {},
  ) {
    const { group, ...rest } = options;
    super('bull', rest);
    this.group = group === undefined ? 'default' : validateGroupName(group);
  }

  private get g(): { group: string } {
    return { group: this.group };
  }

  /** The name Bull Board lists: the prefix option, the queue's name, and `:<group>` unless default. */
  getName(): string {
    return `${this.prefix}${this.queue.name}${this.group === 'default' ? '' : `:${this.group}`}`;
  }

  /** The raw INFO of the queue's Redis (one node's, on a cluster). */
  async getRedisInfo(): Promise<string> {
    return queueInternals(this.queue).client.info();
  }

  /** A job by id, as the group sees it; undefined when the group has no such job. */
  async getJob(id: string): Promise<QueueJob | undefined> {
    const job = await this.queue.getJob(id, this.g);
    return job && new BoardJob(job);
  }

  /**
   * Jobs start..end of each status (statuses sluice has not give none). With several statuses
   * (Bull Board's "latest"), each gives its range and the whole is sorted newest first.
   */
  async getJobs(jobStatuses: JobStatus[], start = 0, end = -1): Promise<QueueJob[]> {
    const last = end < 0 ? start + 99 : Math.min(end, start + MAX_READ - 1);
    const states = jobStatuses.filter((s): s is (typeof JOB_STATUSES)[number] => (JOB_STATUSES as readonly string[]).includes(s));
    const lists = await Promise.all(states.map((s) => this.queue.getJobs(s, start, last, this.g)));
    const jobs = lists.flat();
    if (states.length > 1) jobs.sort((a, b) => b.timestamp - a.timestamp);
    return jobs.map((job) => new BoardJob(job));
  }

  /** The group's counts, one per status the adapter offers. */
  async getJobCounts(): Promise<BoardJobCounts> {
    const c = await this.queue.getJobCounts(this.g);
    const { active, waiting, delayed, completed, failed } = c;
    return { active, waiting, 'waiting-children': c['waiting-children'], delayed, completed, failed };
  }

  /** The job's log lines, oldest first; none when the group has no such job. */
  async getJobLogs(id: string): Promise<string[]> {
    const job = await this.queue.getJob(id, this.g);
    return job ? job.getLogs() : [];
  }

  /**
   * Removes the status's jobs older than `graceTimeMs`: completed and failed ones by sluice's
   * `clean` (finish time), waiting and delayed ones by the time they were added. Refused for
   * active jobs (workers hold their leases).
   */
  async clean(queueStatus: JobCleanStatus, graceTimeMs: number): Promise<void> {
    if (queueStatus === 'completed' || queueStatus === 'failed') {
      await this.queue.clean(graceTimeMs, 0, queueStatus, this.g);
      return;
    }
    if (queueStatus === 'active') {
      throw new BoardActionUnsupportedError('clean active jobs', 'a worker holds their leases; let them finish, then clean');
    }
    const state = queueStatus === 'wait' ? 'waiting' : 'delayed';
    const before = Date.now() - graceTimeMs;
    // collect first, then remove: removing while walking would move the pages under the cursor
    const old: BoardJob[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.queue.getJobsPage(state, { ...this.g, count: MAX_READ, ...(cursor ? { cursor } : {}) });
      for (const job of page.jobs) if (job.timestamp < before) old.push(new BoardJob(job));
      cursor = page.next ?? undefined;
    } while (cursor);
    for (const job of old) await job.job.remove();
  }

  /** Adds a job to the queue (every group gets it); returns it as this adapter's group sees it. */
  async addJob(name: string, data: unknown, options: QueueJobOptions): Promise<QueueJob> {
    const added = await this.queue.add(name, data, options as JobsOptions);
    return new BoardJob((await this.queue.getJob(added.id, this.g)) ?? added);
  }

  /** Whether the group is paused. */
  async isPaused(): Promise<boolean> {
    return this.queue.isPaused(this.g);
  }

  /** Pauses the group: its workers start no job; running jobs finish. */
  async pause(): Promise<void> {
    await this.queue.pause(this.g);
  }

  /** Resumes the group after pause. */
  async resume(): Promise<void> {
    await this.queue.resume(this.g);
  }

  /** Removes the group's waiting jobs (not delayed ones, as BullMQ's drain), sluice's `drain`. */
  async empty(): Promise<void> {
    await this.queue.drain(false, this.g);
  }

  /** Deletes the whole queue (sluice's `obliterate`); refused from a group other than default. */
  async obliterate(opts: ObliterateOptions = {}): Promise<void> {
    if (this.group !== 'default') {
      throw new BoardActionUnsupportedError(
        `obliterate from group "${this.group}"`,
        'it would delete every group of the queue; obliterate from the default group, or remove the group with queue.removeGroup()',
      );
    }
    await this.queue.obliterate({ force: opts.force === true });
  }

  /** Runs every delayed job and the group's retries waiting out a backoff now. */
  async promoteAll(): Promise<void> {
    await this.queue.promoteJobs(this.g);
  }

  /** Jobs completed or failed for good per minute, newest first, from the workers' metrics (docs/metrics.md). */
  async getMetrics(type: string, start?: number, end?: number): Promise<QueueMetrics> {
    if (type !== 'completed' && type !== 'failed')
      throw new BoardActionUnsupportedError(`report "${type}" metrics`, 'it counts completed and failed');
    const history = await this.queue.getMetrics(type, {
      ...this.g,
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end }),
    });
    return { meta: { count: history.meta.total, prevTS: history.meta.now, prevCount: 0 }, data: history.data, count: history.count };
  }

  /** The group's live workers, from their heartbeats (queue.getWorkers). */
  override async getWorkers(): Promise<QueueWorker[]> {
    const workers = await this.queue.getWorkers(this.g);
    const now = Date.now();
    return workers.map((w) => ({
      id: w.id,
      name: w.name,
      addr: `${w.host}:${w.pid}`,
      age: Math.max(0, Math.round((now - w.started) / 1000)),
    }));
  }

  /** Deletes a scheduler (the jobs it made stay); true if it existed. */
  async removeJobScheduler(id: string): Promise<boolean> {
    return this.queue.removeScheduler(id);
  }

  /** The queue's schedulers that still have slots ahead, soonest first. */
  async getJobSchedulers(): Promise<Omit<AppJobScheduler, 'queueName'>[]> {
    return (await this.queue.getSchedulers()).map(toBoardScheduler);
  }

  /** How many schedulers the queue has with slots ahead. */
  async getJobSchedulersCount(): Promise<number> {
    return (await this.queue.getSchedulers()).length;
  }

  /** True: a scheduler's schedule can be changed (sluice's `upsertScheduler`, same template). */
  override get supportsJobSchedulerUpdate(): boolean {
    return true;
  }

  /** Changes a scheduler's schedule, keeping the jobs it makes as they are. */
  async updateJobScheduler(id: string, repeat: JobSchedulerRepeatOptions): Promise<JobSchedulerUpdateResult> {
    return updateSchedule(this.queue, id, repeat);
  }

  /** True: a scheduler's job can be added now, out of schedule. */
  override get supportsJobSchedulerRun(): boolean {
    return true;
  }

  /** Adds one job from a scheduler's template now; the schedule is not changed. */
  async runJobSchedulerNow(id: string): Promise<QueueJob | 'not-found'> {
    const s = await this.queue.getScheduler(id);
    if (!s) return 'not-found';
    return this.addJob(s.name, s.data, s.opts as QueueJobOptions);
  }

  /** 'latest' and the six states sluice has. */
  getStatuses(): Status[] {
    return ['latest', ...this.getJobStatuses()];
  }

  /** The six states sluice has: active, waiting, waiting-children, delayed, completed, failed. */
  getJobStatuses(): JobStatus[] {
    return [...JOB_STATUSES];
  }

  /** The group's cap on running jobs (sluice's getGlobalConcurrency), or null when it has none. */
  async getGlobalConcurrency(): Promise<number | null> {
    return (await this.queue.getGlobalConcurrency(this.g)) ?? null;
  }

  /** Sets the group's cap on running jobs (sluice's setGlobalConcurrency). */
  async setGlobalConcurrency(concurrency: number): Promise<void> {
    await this.queue.setGlobalConcurrency(concurrency, this.g);
  }

  /** True: the group's rate limit maps (sluice's `setRateLimit`). */
  override get supportsGlobalRateLimit(): boolean {
    return true;
  }

  /** The group's rate limit, or null when it has none. */
  override async getConfiguredRateLimit(): Promise<QueueRateLimit | null> {
    const limit = await this.queue.getRateLimit(this.g);
    return limit ? { max: limit.max, duration: limit.duration } : null;
  }

  /** Sets the group's rate limit: at most `max` job starts per `duration` ms. */
  override async setConfiguredRateLimit(limit: QueueRateLimit): Promise<void> {
    await this.queue.setRateLimit({ max: limit.max, duration: limit.duration }, this.g);
  }

  /** Removes the group's rate limit. */
  override async removeConfiguredRateLimit(): Promise<void> {
    await this.queue.setRateLimit(null, this.g);
  }
}
