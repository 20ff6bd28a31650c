// A plain job (no id of its own, no delay, no priority) waits as a stream entry only — fields
// n, d, o; its id is the entry id — until a worker first leases it and writes its record.
// These helpers let the read side (getJob, getJobs, getState) see such jobs, and tell
// whether a group has read past an entry.
import type { Redis } from 'ioredis';
import { JobField, type QueueKeys } from './keys.js';

const STREAM_ID = /^(\d+)-(\d+)$/;

export function isStreamId(id: string): boolean {
  return STREAM_ID.test(id);
}

/** Negative, zero or positive as a is before, equal to or after b (stream id order). */
export function compareStreamIds(a: string, b: string): number {
  const [, am = '0', as = '0'] = STREAM_ID.exec(a) ?? [];
  const [, bm = '0', bs = '0'] = STREAM_ID.exec(b) ?? [];
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

/**
 * Is this entry a job carried whole (fields n, d, o: the job hash's names)? Then its fields as
 * a job hash would hold them (as leaseJobs.lua writes its record).
 */
export function carriedJobHash(entryId: string, fields: string[]): Record<string, string> | undefined {
  if (fields[0] !== JobField.name || fields[2] !== JobField.data || fields[3] === undefined) return undefined;
  return {
    [JobField.name]: fields[1] ?? '',
    [JobField.data]: fields[3],
    [JobField.opts]: fields[4] === JobField.opts ? (fields[5] ?? '{}') : '{}',
    [JobField.timestamp]: STREAM_ID.exec(entryId)?.[1] ?? '0',
    [JobField.state]: 'waiting',
    [JobField.attemptsMade]: '0',
    [JobField.deliveries]: '0',
  };
}

export interface GroupCursor {
  /** The last entry the group has read. */
  lastDeliveredId: string;
  /** Entries not yet read; null when Redis cannot tell (no group yet, or deleted entries). */
  lag: number | null;
  exists: boolean;
}

/** The entries of an XREAD reply on one stream (RESP2 arrays, or RESP3 maps); [] on a timeout. */
export function xreadEntries(reply: unknown, key: string): [id: string, fields: string[]][] {
  if (!reply) return [];
  let entries: unknown;
  if (Array.isArray(reply)) entries = Array.isArray(reply[0]) ? (reply[0] as unknown[])[1] : reply[1];
  else entries = (reply as Record<string, unknown>)[key];
  return (entries ?? []) as [string, string[]][];
}

export interface StreamGroupInfo {
  name: string;
  lastDeliveredId: string;
  /** Entries not yet read; null when Redis cannot tell. */
  lag: number | null;
  /** Entries the group has read since the stream began; null when Redis cannot tell. */
  entriesRead: number | null;
  consumers: number;
}

/** A reply of XINFO as a plain object (RESP2: a flat list of name, value; RESP3: a map). */
function infoFields(reply: unknown): Record<string, unknown> {
  if (!Array.isArray(reply)) return (reply ?? {}) as Record<string, unknown>;
  const info: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) info[String(reply[i])] = reply[i + 1];
  return info;
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** The stream's consumer groups (XINFO GROUPS; RESP2 arrays or RESP3 maps); [] before the stream exists. */
export async function streamGroups(client: Redis, keys: QueueKeys): Promise<StreamGroupInfo[]> {
  let groups: unknown[];
  try {
    groups = (await client.call('XINFO', 'GROUPS', keys.stream)) as unknown[];
  } catch (err) {
    // no stream yet is an error reply; a failed connection is not an empty queue
    if ((err as Error).name === 'ReplyError') return [];
    throw err;
  }
  return groups.map((g) => {
    const info = infoFields(g);
    return {
      name: String(info.name),
      lastDeliveredId: String(info['last-delivered-id']),
      lag: numberOrNull(info.lag),
      entriesRead: numberOrNull(info['entries-read']),
      consumers: Number(info.consumers ?? 0),
    };
  });
}

export interface Backlog {
  /** Stream entries the group has not read yet. */
  unread: number;
  /** False when Redis cannot tell (see streamBacklog): then unread is an upper bound. */
  exact: boolean;
}

/**
 * How many stream entries a group has not read yet, in bounded work: XLEN and XINFO only, no
 * range of entries is read. Redis knows a group's lag unless entries past its cursor were
 * deleted (remove() of a waiting plain job): then, while the group has not read past them,
 * the figure is entries-added − entries-read − 1 (too high by the other deleted ones), or else the
 * stream's length (too high by the entries the group read that are still kept). Both are exact
 * again once the group's workers catch up. (XINFO STREAM also returns the first and the last
 * entry: two entries at most.) Without a cursor yet, the default group has every entry unread
 * (its first worker starts at the beginning); another group none (its workers start from now).
 */
export async function streamBacklog(client: Redis, keys: QueueKeys, group: string, info: StreamGroupInfo | undefined): Promise<Backlog> {
  if (info && info.lag !== null) return { unread: info.lag, exact: true };
  // no consumer group yet: the default group's first worker reads from the start, another
  // group's worker creates it from now on
  if (!info && group !== 'default') return { unread: 0, exact: true };
  const length = await client.xlen(keys.stream);
  if (!info || length === 0) return { unread: length, exact: true };
  const stream = infoFields(await client.call('XINFO', 'STREAM', keys.stream).catch(() => []));
  const firstId = Array.isArray(stream['first-entry']) ? String(stream['first-entry'][0]) : undefined;
  const lastId = Array.isArray(stream['last-entry']) ? String(stream['last-entry'][0]) : undefined;
  // read up to the end, or nothing read of what the stream holds: exact either way
  if (lastId && compareStreamIds(info.lastDeliveredId, lastId) >= 0) return { unread: 0, exact: true };
  if (firstId && compareStreamIds(info.lastDeliveredId, firstId) < 0) return { unread: length, exact: true };
  const added = numberOrNull(stream['entries-added']);
  // Redis keeps the count of entries the group read, but will not subtract from it while an
  // entry past the cursor is deleted: one at least is (sluice deletes only entries no group
  // has read), the others are counted
  if (info.entriesRead !== null && added !== null)
    return { unread: Math.max(0, Math.min(length, added - info.entriesRead - 1)), exact: false };
  return { unread: length, exact: false };
}

/** Where a group stands in the stream. */
export async function groupCursor(client: Redis, keys: QueueKeys, group: string): Promise<GroupCursor> {
  const info = (await streamGroups(client, keys)).find((g) => g.name === group);
  // no worker has read yet (or no stream): the whole stream waits
  if (!info) return { lastDeliveredId: '0-0', lag: null, exists: false };
  return { lastDeliveredId: info.lastDeliveredId, lag: info.lag, exists: true };
}

/**
 * For a group other than default: the published record of a job the group has not met yet —
 * a delayed job, or one announced in the stream past the group's cursor — or undefined.
 */
export async function publishedNotYetMet(
  client: Redis,
  keys: QueueKeys,
  group: string,
  id: string,
): Promise<Record<string, string> | undefined> {
  const hash = await client.hgetall(keys.job(id));
  const state = hash?.[JobField.state];
  const entryId = hash?.[JobField.streamEntry];
  if (state === 'delayed') return hash;
  if (state !== 'waiting' || !entryId) return undefined;
  const { lastDeliveredId } = await groupCursor(client, keys, group);
  return compareStreamIds(lastDeliveredId, entryId) < 0 ? hash : undefined;
}

/**
 * The hash-like record of a plain job that lives in its stream entry only, or undefined: one
 * still waiting (its group has not read the entry), or one the default group leased without a
 * record (state active: its entry is pending until the ack, lua/includes/leasedEntry.lua). The
 * caller found no record of the job in the group.
 */
export async function findWaitingEntry(
  client: Redis,
  keys: QueueKeys,
  group: string,
  id: string,
): Promise<Record<string, string> | undefined> {
  if (!isStreamId(id)) return undefined;
  const entries = (await client.xrange(keys.stream, id, id)) as [string, string[]][];
  const entry = entries[0];
  if (!entry) return undefined;
  const hash = carriedJobHash(entry[0], entry[1]);
  if (!hash) return undefined;
  // read by the group already: the job has (or had) a record of its own, unless it is leased without one
  const cursor = await groupCursor(client, keys, group);
  if (compareStreamIds(id, cursor.lastDeliveredId) > 0) return hash;
  if (group !== 'default' || (await client.zscore(keys.group(group).active, id)) === null) return undefined;
  return { ...hash, [JobField.state]: 'active', [JobField.deliveries]: '1' };
}
