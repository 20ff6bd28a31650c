// Consumer groups (fan-out): every group of a queue receives every job added while it exists,
// and keeps its own records, attempts, failures and counts. A group can start from now, or
// replay the history the queue retains (from the start, or from a time).
import type { Redis } from 'ioredis';
import { GroupActiveError, InvalidOptionError } from './errors.js';
import type { QueueKeys } from './keys.js';
import type { Scripts } from './scripts.js';
import { streamGroups } from './stream-entries.js';
import type { Logger } from './logger.js';
import { writeGroupLimits, type GroupLimits } from './rate-limit.js';

export interface CreateGroupOptions {
  /** 'now' (default): jobs added from now on; 'start': the retained history first; or a time (ms since the epoch). */
  from?: 'now' | 'start' | number;
}

export interface GroupInfo {
  name: string;
  /** The last stream entry the group has read ('0-0' before its first). */
  lastDeliveredId: string;
  /** Stream entries the group has not read yet; null when Redis cannot tell (after deleted entries). */
  unread: number | null;
  /** Workers (consumers) that have read from the stream under this group. */
  consumers: number;
}

const REMOVE_BATCH = 500;

/** The stream id a group starts after: '$' (now), '0' (everything retained), or just before a time. */
export function groupStartId(from: CreateGroupOptions['from']): string {
  if (from === undefined || from === 'now') return '$';
  if (from === 'start') return '0';
  if (typeof from === 'number' && Number.isSafeInteger(from) && from >= 0) {
    // entries ids are "ms-seq": the group has read everything before that ms
    return from === 0 ? '0' : `${from - 1}-18446744073709551615`;
  }
  throw new InvalidOptionError(`from must be 'now', 'start' or a time in ms since the epoch; got ${JSON.stringify(from)}`);
}

export async function createGroup(scripts: Scripts, name: string, opts: CreateGroupOptions, logger: Logger): Promise<boolean> {
  if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('createGroup options must be an object');
  const result = await scripts.createGroup(name, groupStartId(opts.from));
  if (result === 'created-with-default') warnDefaultKept(logger, name);
  return result !== 'existed';
}

/** The queue held jobs for the implicit default group: it became a member, and keeps them. */
function warnDefaultKept(logger: Logger, group: string): void {
  logger.warn(
    { group },
    `jobs were waiting for the default group (added before any group existed): it is now a member and keeps them; ` +
      `if nothing consumes the default group, removeGroup('default') so that the stream is not kept for it`,
  );
}

export async function removeGroup(scripts: Scripts, name: string, force: boolean): Promise<void> {
  for (;;) {
    const result = await scripts.removeGroup(name, REMOVE_BATCH, force);
    if (result === -1) throw new GroupActiveError(name);
    if (result === 0) return;
  }
}

/**
 * Before a worker leases: its limiter options become the group's limits, and a group other
 * than default must exist: one missing (never created, or removed) is created, from now on,
 * and the log says so.
 */
export async function prepareGroup(client: Redis, scripts: Scripts, group: string, limits: GroupLimits | undefined, logger: Logger): Promise<void> {
  if (limits) await writeGroupLimits(client, scripts.keys, group, limits);
  if (group === 'default') return;
  if ((await client.sismember(scripts.keys.groups, group)) === 1) return;
  const result = await scripts.createGroup(group, '$');
  if (result === 'existed') return;
  logger.info({ group }, `consumer group "${group}" did not exist: created it, receiving jobs added from now on`);
  if (result === 'created-with-default') warnDefaultKept(logger, group);
}

export async function getGroups(client: Redis, keys: QueueKeys): Promise<GroupInfo[]> {
  const groups = await streamGroups(client, keys);
  return groups
    .map((g) => ({ name: g.name, lastDeliveredId: g.lastDeliveredId, unread: g.lag, consumers: g.consumers }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
