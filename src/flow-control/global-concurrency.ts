// A group's cap on jobs running at once across all its workers (BullMQ's setGlobalConcurrency):
// the Queue methods that set, read and remove it, installed on Queue's prototype by Queue and
// typed by interface merging there. The cap lives in the queue's meta (gconc:<G>); the lease
// script leases no more than the cap minus the group's active jobs, and an ack or failure that
// frees a slot wakes an idle worker for it (lua/includes/lease/leaseJobs.lua, complete.lua,
// fail.lua). Jobs leased count, so workers of a capped group lease only for free slots.
import { InvalidOptionError } from '../errors.js';
import { METHOD_OPTION_NAMES as NAMES, groupOf, methodOptions, type GroupOption } from '../queue/queue-options.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { MetaField } from '../redis/keys.js';
import { shown } from '../validate.js';
import { installMethods } from '../install-methods.js';

/** Queue's methods for a group-wide concurrency cap. */
export interface QueueConcurrencyMethods {
  /**
   * At most `concurrency` jobs of the group (default group unless given) run at once, across
   * all of its workers and processes, whatever each worker's own `concurrency`. Takes effect at
   * the workers' next lease; running jobs are not stopped. Not on a partitioned queue.
   * @throws {InvalidOptionError} not an integer >= 1, or a partitioned queue.
   */
  setGlobalConcurrency(concurrency: number, opts?: GroupOption): Promise<void>;
  /** The group's cap, or undefined when it has none. */
  getGlobalConcurrency(opts?: GroupOption): Promise<number | undefined>;
  /** Removes the group's cap. */
  removeGlobalConcurrency(opts?: GroupOption): Promise<void>;
}

const methods: QueueConcurrencyMethods & ThisType<Queue> = {
  async setGlobalConcurrency(concurrency, opts = {}) {
    methodOptions('setGlobalConcurrency', opts, NAMES.group);
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
      throw new InvalidOptionError(`setGlobalConcurrency takes an integer >= 1; got ${shown(concurrency)}`);
    }
    const q = queueInternals(this);
    await q.waitUntilReady();
    if ((await q.partitions()).length > 1) {
      throw new InvalidOptionError('setGlobalConcurrency: a partitioned queue has no group-wide cap (each partition leases on its own)');
    }
    const group = groupOf(opts);
    // one blocked worker re-checks at once (a raised cap has room)
    await q.client
      .multi()
      .hset(q.keys.meta, MetaField.groupConcurrency(group), String(concurrency))
      .zadd(q.keys.group(group).wake, 'LT', 0, 'm')
      .exec();
  },
  async getGlobalConcurrency(opts = {}) {
    methodOptions('getGlobalConcurrency', opts, NAMES.group);
    const q = queueInternals(this);
    const value = await q.client.hget(q.keys.meta, MetaField.groupConcurrency(groupOf(opts)));
    return value === null ? undefined : Number(value);
  },
  async removeGlobalConcurrency(opts = {}) {
    methodOptions('removeGlobalConcurrency', opts, NAMES.group);
    const q = queueInternals(this);
    await q.waitUntilReady();
    const group = groupOf(opts);
    await q.client.multi().hdel(q.keys.meta, MetaField.groupConcurrency(group)).zadd(q.keys.group(group).wake, 'LT', 0, 'm').exec();
  },
};

/** Installs the concurrency-cap methods on Queue's prototype. */
export function addConcurrencyMethods(cls: { prototype: object }): void {
  installMethods(cls, methods);
}
