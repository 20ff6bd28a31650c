// Job methods that change a waiting, delayed or running job's data or place in line:
// updateData (a step job keeps its state between steps) and changePriority. Installed on Job's
// prototype by Job itself (its static block calls addJobControls, as it does for the BullMQ
// aliases) and typed by interface merging there, so that job.ts stays one concept: a job as the
// API shows it. Each change is one script (lua/update-data.lua, lua/change-priority.lua).
import { InvalidOptionError, JobNotFoundError, JobStateError } from '../errors.js';
import { ControlScripts } from '../redis/control-scripts.js';
import { JobField } from '../redis/keys.js';
import type { JobContext } from './job-context.js';
import { MAX_PRIORITY, type JobsOptions } from './job-options.js';
import type { Job } from './job.js';
import { toJson } from './payload.js';
import { installMethods } from '../install-methods.js';

/** How far into each group's wait list changePriority looks for the job (LPOS MAXLEN; src/limits.ts). */
export const PRIORITY_SCAN = 10_000;

/** The job methods of this file, merged into Job's type. */
export interface JobControls<Data> {
  /**
   * Replaces the job's data, checked as `Queue.add` checks it (JSON, at most `maxPayloadBytes`),
   * and sets {@link Job.data}. Works for any job that has not finished: waiting, delayed, a retry
   * waiting out its backoff, and an active one, from its processor or not: a step job
   * (`DelayedError`) keeps state between steps this way. Each consumer group keeps its own copy
   * of a job it has met: this changes the copy of the Job's group (a delayed job's, the queue's).
   * A plain job (no `jobId`, priority, lifo, ordering key, delay or deadline) still in the
   * stream is carried whole by its stream entry, which cannot be rewritten: it leaves the
   * stream for the wait list of each group that has not read it (ahead of the stream's jobs).
   * @param data - the new data.
   * @throws {InvalidPayloadError} `data` cannot be stored as JSON.
   * @throws {PayloadTooLargeError} its JSON is over `maxPayloadBytes`.
   * @throws {JobStateError} the job finished (completed or failed).
   * @throws {JobNotFoundError} the job does not exist (any more).
   * @throws {RedisUnavailableError} Redis cannot be reached.
   * @example A step job keeps its progress between steps
   * ```ts
   * const worker = new Worker('import', async (job) => {
   *   const next = await importPage(job.data.page);
   *   if (next === undefined) return 'done';
   *   await job.updateData({ ...job.data, page: next });
   *   throw new DelayedError(1000); // runs again in a second, from the next page
   * }, { connection });
   * ```
   */
  updateData(data: Data): Promise<void>;
  /**
   * Gives a waiting or delayed job a new place in line, in one atomic step. A delayed job keeps
   * the new priority or lifo for when it is due. A waiting job moves in every consumer group
   * that has it waiting, in its priority set, its wait list or the stream: with a priority,
   * behind the jobs of that priority; with `lifo`, to the front of the line; with neither
   * (priority 0), ahead of the prioritised jobs and of the jobs still in the stream (jobs
   * without a priority run first). A job still in the stream leaves it (an entry cannot be
   * rewritten) in every group that has not read it.
   * @param opts - `priority`: 1 (highest) to 2,097,152 (lowest), or 0 for none (the default);
   * `lifo`: to the front of the line (default false). Not both.
   * @throws {InvalidOptionError} a priority out of range, an unknown option, or both set.
   * @throws {JobStateError} the job is active or finished; or it waits where it cannot be moved:
   * a job with an ordering key (it keeps its key's order), a retry waiting out its backoff, or
   * one deeper than 10,000 jobs into a wait list.
   * @throws {JobNotFoundError} the job does not exist (any more).
   * @throws {RedisUnavailableError} Redis cannot be reached.
   */
  changePriority(opts: { priority?: number; lifo?: boolean }): Promise<void>;
}

/** A Job's private parts these methods use. */
function contextOf(job: Job): JobContext {
  return (job as unknown as { ctx: JobContext }).ctx;
}

const controls: JobControls<unknown> & ThisType<Job> = {
  async updateData(data) {
    const ctx = contextOf(this);
    const json = toJson(data, 'job data', ctx.maxPayloadBytes);
    const result = await new ControlScripts(ctx.client, ctx.scripts.keys).updateData(ctx.group, this.id, json);
    if (result.outcome === 'finished') {
      throw new JobStateError(this.id, result.state, 'a finished job keeps the data it ran with; add a new job instead');
    }
    if (result.outcome === 'notFound') throw new JobNotFoundError(this.id);
    (this as { data: unknown }).data = JSON.parse(json);
  },

  async changePriority(opts) {
    if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('changePriority needs { priority?, lifo? }');
    for (const key of Object.keys(opts)) {
      if (key !== 'priority' && key !== 'lifo') throw new InvalidOptionError(`changePriority: unknown option "${key}"`);
    }
    const priority = opts.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
      throw new InvalidOptionError(
        `priority must be an integer from 1 (highest) to ${MAX_PRIORITY} (lowest), or 0 for none; got ${priority}`,
      );
    }
    if (opts.lifo !== undefined && typeof opts.lifo !== 'boolean') throw new InvalidOptionError('lifo must be a boolean');
    const lifo = opts.lifo === true;
    if (lifo && priority > 0) throw new InvalidOptionError('lifo and priority cannot be combined: a prioritised job runs by its priority');
    const ctx = contextOf(this);
    const result = await new ControlScripts(ctx.client, ctx.scripts.keys).changePriority(ctx.group, this.id, priority, lifo, PRIORITY_SCAN);
    if (result.outcome === 'delayed' || result.outcome === 'moved') return;
    if (result.outcome === 'ordered') {
      throw new JobStateError(this.id, result.state, 'it runs in the order of its ordering key, which a priority cannot change');
    }
    const state = result.state;
    if (state === '') throw new JobNotFoundError(this.id);
    if (state === 'active') throw new JobStateError(this.id, state, 'a worker runs it already; a priority only orders waiting jobs');
    if (state === 'completed' || state === 'failed')
      throw new JobStateError(this.id, state, 'it finished; a priority only orders waiting jobs');
    if (state === 'delayed') {
      throw new JobStateError(this.id, state, 'a retry waiting out its backoff is redelivered ahead of new jobs whatever its priority');
    }
    throw new JobStateError(
      this.id,
      state,
      `it waits deeper than ${PRIORITY_SCAN} jobs into a wait list, where it is not looked for; ` +
        'add it with a priority or lifo to reorder it later',
    );
  },
};

/**
 * The options a record's placement fields override: `p` (priority) and `lf` (lifo, '0' once
 * changePriority made it not lifo), which changePriority writes; `o` keeps the options of the add.
 */
export function withPlacement(opts: unknown, hash: Record<string, string>): JobsOptions {
  const base = typeof opts === 'object' && opts !== null ? (opts as JobsOptions) : {};
  const lifo = hash[JobField.lifo];
  if (lifo === undefined) return base;
  const priority = hash[JobField.priority];
  const placed: JobsOptions = { ...base, priority: priority ? Number(priority) : undefined, lifo: lifo === '1' };
  if (placed.priority === undefined) delete placed.priority;
  return placed;
}

/** Installs the methods on Job's prototype (not enumerable, as methods are). */
export function addJobControls(cls: { prototype: object }): void {
  installMethods(cls, controls);
}
