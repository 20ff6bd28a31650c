// Consumer groups (fan-out): every group of a queue receives every job added while it exists,
// and keeps its own records, attempts, failures and counts. A group can start from now, or
// replay the history the queue retains (from the start, or from a time).
import type { Redis } from 'ioredis';
import { GroupActiveError, InvalidOptionError } from './errors.js';
import type { QueueKeys } from './keys.js';
import type { Scripts } from './scripts.js';
import { streamGroups } from './stream-entries.js';

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

export async function createGroup(scripts: Scripts, name: string, opts: CreateGroupOptions): Promise<boolean> {
  if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('createGroup options must be an object');
  return scripts.createGroup(name, groupStartId(opts.from));
}

export async function removeGroup(scripts: Scripts, name: string, force: boolean): Promise<void> {
  for (;;) {
    const result = await scripts.removeGroup(name, REMOVE_BATCH, force);
    if (result === -1) throw new GroupActiveError(name);
    if (result === 0) return;
  }
}

export async function getGroups(client: Redis, keys: QueueKeys): Promise<GroupInfo[]> {
  const groups = await streamGroups(client, keys);
  return groups
    .map((g) => ({ name: g.name, lastDeliveredId: g.lastDeliveredId, unread: g.lag, consumers: g.consumers }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
