// The Queue's scheduler methods (repeating jobs: docs/scheduling.md), installed on Queue's
// prototype by Queue itself and typed by interface merging there, as the BullMQ aliases are.
// They are routed to the right partition of a partitioned queue like Queue's own methods.
import { METHOD_OPTION_NAMES as NAMES } from '../queue/queue-options.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { checkOptionNames } from '../validate.js';
import { validateSchedulerKey, type RepeatOptions } from './repeat.js';
import { getScheduler, getSchedulers, upsertScheduler, type SchedulerInfo, type SchedulerTemplate } from './schedulers.js';

/** Queue's methods for repeating jobs. */
export interface QueueSchedulerMethods<Data> {
  /**
   * Creates or updates a repeating job: a cron pattern (with time zone) or every N ms. Upsert
   * by key is idempotent; a changed repeat replaces the next slot. Each slot makes one job, with
   * id repeat:<key>:<slot>, fired by whichever worker is awake.
   */
  upsertScheduler(key: string, repeat: RepeatOptions, template: SchedulerTemplate<Data>): Promise<SchedulerInfo<Data>>;
  /** Deletes a scheduler (jobs it made stay); true if it existed. */
  removeScheduler(key: string): Promise<boolean>;
  /** A scheduler by its key, with its next slot; undefined if there is none. */
  getScheduler(key: string): Promise<SchedulerInfo<Data> | undefined>;
  /** The schedulers that still have slots ahead, soonest first. */
  getSchedulers(): Promise<SchedulerInfo<Data>[]>;
}

const methods: QueueSchedulerMethods<unknown> & ThisType<Queue> = {
  async upsertScheduler(key, repeat, template) {
    checkOptionNames('the repeat of upsertScheduler()', repeat, NAMES.repeat);
    checkOptionNames('the job template of upsertScheduler()', template, NAMES.template);
    const q = queueInternals(this);
    await q.waitUntilReady();
    return upsertScheduler(q.client, q.scripts, key, repeat, template, q.options.maxPayloadBytes);
  },
  async removeScheduler(key) {
    const q = queueInternals(this);
    await q.waitUntilReady();
    return q.scripts.removeScheduler(validateSchedulerKey(key));
  },
  async getScheduler(key) {
    const q = queueInternals(this);
    return getScheduler(q.client, q.keys, validateSchedulerKey(key));
  },
  async getSchedulers() {
    const q = queueInternals(this);
    return getSchedulers(q.client, q.keys);
  },
};

/** Installs the scheduler methods on Queue's prototype (before it is routed to partitions). */
export function addSchedulerMethods(cls: { prototype: object }): void {
  Object.assign(cls.prototype, methods);
}
