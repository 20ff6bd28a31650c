// Consumer groups (fan-out): every group of a queue receives every job added while it exists,
// and keeps its own records, attempts, failures and counts. A group can start from now, or
// replay the history the queue retains (from the start, or from a time).
import { ADMIN_BATCH } from '../limits.js';
import type { Redis } from 'ioredis';
import { GroupActiveError, InvalidOptionError } from '../errors.js';
import { shown } from '../validate.js';
import type { QueueKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import { streamGroups } from '../redis/streams.js';
import { waitingCount } from '../queue/queue-reader.js';
import type { Logger } from '../logger.js';
import { writeGroupLimits, type GroupLimits } from '../flow-control/rate-limit.js';

/** Options of `Queue.createGroup`: where a new consumer group starts reading the queue. */
export interface CreateGroupOptions {
  /**
   * Which jobs the new group receives: `'now'`: those added from now on; `'start'`: the history
   * the queue still retains first (see the Queue option `retention`), then new ones; or a time
   * (ms since the epoch): the retained jobs added from then on. Ignored when the group exists.
   * @default 'now'
   */
  from?: 'now' | 'start' | number;
  /**
   * Only for the first group of a queue that already holds jobs: those were added for the
   * default group, implicit until its first worker. true (default): the default group becomes
   * a member and keeps them (and every later job): nothing is lost, but until something consumes
   * it (or removeGroup('default')) the stream is kept for it; getGroups() shows its backlog.
   * false: it does not; the jobs in the stream and the delayed ones reach the new group (from
   * `from`), and the prioritised, lifo and ordered jobs placed for the default group are removed.
   * @default true
   */
  keepDefault?: boolean;
}

/** A consumer group of a queue and its backlog, as `Queue.getGroups` lists it. */
export interface GroupInfo {
  /** The group's name. */
  name: string;
  /**
   * The default group of a queue no group was created in yet: it has no consumer group in
   * Redis until its first worker (which starts at the beginning of the stream), but every job
   * added is kept for it.
   */
  implicit: boolean;
  /** The last stream entry the group has read ('0-0' before its first). */
  lastDeliveredId: string;
  /**
   * Stream entries the group has not read yet (its lag): they are kept for it. Exact unless
   * `unreadExact` is false: after a waiting job was removed ahead of the group's cursor, Redis
   * cannot tell, and this is an upper bound until the group's workers read past it.
   */
  unread: number;
  /** False when `unread` is only an upper bound (see `unread`). */
  unreadExact: boolean;
  /** Every job waiting for the group, as getJobCounts({ group }).waiting counts it. */
  waiting: number;
  /** Workers (consumers) that have read from the stream under this group. */
  consumers: number;
}

/** The stream id a group starts after: '$' (now), '0' (everything retained), or just before a time. */
export function groupStartId(from: CreateGroupOptions['from']): string {
  if (from === undefined || from === 'now') return '$';
  if (from === 'start') return '0';
  if (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) {
    // entries ids are "ms-seq": the group has read everything before that ms
    return from === 0 ? '0' : `${from - 1}-18446744073709551615`;
  }
  throw new InvalidOptionError(`from must be 'now', 'start' or a time in ms since the epoch; got ${shown(from)}`);
}

export async function createGroup(scripts: Scripts, name: string, opts: CreateGroupOptions, logger: Logger): Promise<boolean> {
  if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('createGroup options must be an object');
  if (opts.keepDefault !== undefined && typeof opts.keepDefault !== 'boolean') {
    throw new InvalidOptionError(`keepDefault must be true or false; got ${shown(opts.keepDefault)}`);
  }
  const result = await scripts.createGroup(name, groupStartId(opts.from), opts.keepDefault ?? true);
  if (result === 'created-with-default') warnDefaultKept(logger, name);
  // the default group is not a member: what was placed for it alone goes, in bounded batches
  if (result === 'created-without-default') await removeGroup(scripts, 'default', false);
  return result !== 'existed';
}

/** The queue held jobs for the implicit default group: it became a member, and keeps them. */
function warnDefaultKept(logger: Logger, group: string): void {
  logger.warn(
    { group },
    `jobs were waiting for the default group (added before any group existed): it is now a member and keeps them; ` +
      `if nothing consumes the default group, removeGroup('default') so that the stream is not kept for it ` +
      `(or create the first group with keepDefault: false)`,
  );
}

export async function removeGroup(scripts: Scripts, name: string, force: boolean): Promise<void> {
  for (;;) {
    const step = await scripts.removeGroup(name, ADMIN_BATCH, force);
    if (step === 'refused') throw new GroupActiveError(name);
    if (step === 'done') return;
  }
}

/**
 * Before a worker leases: its limiter options become the group's limits, and a group other
 * than default must exist: one missing (never created, or removed) is created, from now on,
 * and the log says so.
 */
export async function prepareGroup(
  client: Redis,
  scripts: Scripts,
  group: string,
  limits: GroupLimits | undefined,
  logger: Logger,
): Promise<void> {
  if (limits) await writeGroupLimits(client, scripts.keys, group, limits);
  if (group === 'default') return;
  if ((await client.sismember(scripts.keys.groups, group)) === 1) return;
  // (a worker keeps the default group's early jobs: nothing is lost by starting a worker)
  const result = await scripts.createGroup(group, '$', true);
  if (result === 'existed') return;
  logger.info({ group }, `consumer group "${group}" did not exist: created it, receiving jobs added from now on`);
  if (result === 'created-with-default') warnDefaultKept(logger, group);
}

/**
 * The queue's groups with their backlog, sorted by name. A queue no group was created in has
 * the default group implicitly (jobs added are kept for it): it is listed, as implicit.
 */
export async function getGroups(client: Redis, keys: QueueKeys): Promise<GroupInfo[]> {
  const [members, stream] = await Promise.all([client.smembers(keys.groups), streamGroups(client, keys)]);
  const names = members.length === 0 ? ['default'] : members;
  const infos = await Promise.all(
    names.map(async (name): Promise<GroupInfo> => {
      const info = stream.find((g) => g.name === name);
      const count = await waitingCount(client, keys, name, stream);
      return {
        name,
        implicit: members.length === 0,
        lastDeliveredId: info?.lastDeliveredId ?? '0-0',
        unread: count.unread,
        unreadExact: count.exact,
        waiting: count.waiting,
        consumers: info?.consumers ?? 0,
      };
    }),
  );
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}
