// BullMQ's names for a few Queue and Job methods, for code moving over from BullMQ
// (docs/migrating-from-bullmq.md). Only where BullMQ's arguments and result mean the same
// thing here: a BullMQ name that would silently do something else (upsertJobScheduler, whose
// `every` fires at once and which returns a Job; getJobScheduler(s), whose results have
// another shape) is left out, so that calling it fails loudly and the guide says what to use.
// Each alias is installed on the class's prototype by the class itself (Queue and Job call
// addQueueAliases / addJobAliases in their static blocks) and typed by interface merging there.
import { InvalidOptionError, LeaseLostError } from '../errors.js';
import type { LeaseHandle } from '../job/job-context.js';
import type { GroupOption } from './queue-options.js';
import type { CountState } from './queue-getters.js';
import type { Job } from '../job/job.js';
import type { Queue } from './queue.js';

/** BullMQ-compatible names of Queue methods. */
export interface BullmqQueueAliases {
  /**
   * Deletes a scheduler (the jobs it made stay); true if it existed.
   * BullMQ-compatible alias.
   * @see Queue.removeScheduler
   */
  removeJobScheduler(key: string): Promise<boolean>;
  /**
   * How many schedulers have slots ahead (those getSchedulers lists).
   * BullMQ-compatible alias.
   * @see Queue.getSchedulers
   */
  getJobSchedulersCount(): Promise<number>;
  /**
   * Jobs waiting to run in a group (default group unless given): waiting (prioritised
   * included) plus delayed (retries waiting out their backoff included).
   * BullMQ-compatible alias.
   * @see Queue.getJobCounts
   */
  count(opts?: GroupOption): Promise<number>;
  /**
   * The sum of `getJobCounts(...states)` (then `{ group }` optionally): how many jobs the
   * group has in those states, `paused` and `prioritized` counted as there.
   * BullMQ-compatible alias.
   * @see Queue.getJobCounts
   */
  getJobCountByTypes(...states: (CountState | GroupOption)[]): Promise<number>;
}

/** BullMQ-compatible names of Job methods. */
export interface BullmqJobAliases {
  /**
   * Extends this job's lease to `duration` ms from now, as BullMQ's extendLock: 1 when extended,
   * 0 when `token` is not this delivery's or the lease is lost. Processor only.
   * BullMQ-compatible alias.
   * @see Job.extendLease
   */
  extendLock(token: string, duration: number): Promise<number>;
  /**
   * BullMQ's way to defer a job from its processor: call this, then `throw new DelayedError()`;
   * the job runs again at `timestamp` (ms, your clock) without using an attempt. Unlike
   * BullMQ, the move happens when the processor throws (`throw new DelayedError(ms)` alone
   * does both). Processor only.
   * BullMQ-compatible alias.
   * @see DelayedError
   */
  moveToDelayed(timestamp: number, token?: string): Promise<void>;
}

const queueAliases: BullmqQueueAliases & ThisType<Queue> = {
  removeJobScheduler(key) {
    return this.removeScheduler(key);
  },
  async getJobSchedulersCount() {
    return (await this.getSchedulers()).length;
  },
  async getJobCountByTypes(...states) {
    const counts = await this.getJobCounts(...states);
    return Object.values(counts).reduce((n: number, c: unknown) => n + (typeof c === 'number' ? c : 0), 0); // (no states: every state)
  },
  async count(opts) {
    const counts = await this.getJobCounts(opts);
    return counts.waiting + counts.delayed;
  },
};

const jobAliases: BullmqJobAliases & ThisType<Job> = {
  async moveToDelayed(timestamp, token) {
    const lease = (this as unknown as { lease?: LeaseHandle }).lease;
    if (!lease || !this.token || (token !== undefined && token !== this.token)) {
      throw new LeaseLostError(this.id, `only the worker processing job "${this.id}" can move it to delayed`);
    }
    if (!Number.isFinite(timestamp)) throw new InvalidOptionError(`moveToDelayed needs a timestamp in ms; got ${timestamp}`);
    lease.deferUntil(timestamp);
  },
  async extendLock(token, duration) {
    if (token !== this.token) return 0;
    try {
      await this.extendLease(duration);
      return 1;
    } catch (err) {
      if (err instanceof LeaseLostError) return 0;
      throw err;
    }
  },
};

/** Installs aliases as methods are (not enumerable), leaving any own method of the class alone. */
function install(prototype: object, aliases: object): void {
  for (const [name, value] of Object.entries(aliases)) {
    if (Object.hasOwn(prototype, name)) continue;
    Object.defineProperty(prototype, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

export function addQueueAliases(cls: { prototype: object }): void {
  install(cls.prototype, queueAliases);
}

export function addJobAliases(cls: { prototype: object }): void {
  install(cls.prototype, jobAliases);
}
