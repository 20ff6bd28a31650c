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

/** Is this entry a job carried whole (fields n, d, o)? Then its fields as a job hash would hold them. */
export function carriedJobHash(entryId: string, fields: string[]): Record<string, string> | undefined {
  if (fields[0] !== 'n' || fields[2] !== 'd' || fields[3] === undefined) return undefined;
  return {
    n: fields[1] ?? '',
    d: fields[3],
    o: fields[4] === 'o' ? (fields[5] ?? '{}') : '{}',
    ts: STREAM_ID.exec(entryId)?.[1] ?? '0',
    s: 'waiting',
    a: '0',
    dl: '0',
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
  consumers: number;
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
    let info: Record<string, unknown> = {};
    if (Array.isArray(g)) for (let i = 0; i < g.length; i += 2) info[String(g[i])] = g[i + 1];
    else info = g as Record<string, unknown>;
    return {
      name: String(info.name),
      lastDeliveredId: String(info['last-delivered-id']),
      lag: info.lag === null || info.lag === undefined ? null : Number(info.lag),
      consumers: Number(info.consumers ?? 0),
    };
  });
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
export async function publishedNotYetMet(client: Redis, keys: QueueKeys, group: string, id: string): Promise<Record<string, string> | undefined> {
  const hash = await client.hgetall(keys.job(id));
  const state = hash?.[JobField.state];
  const entryId = hash?.[JobField.streamEntry];
  if (state === 'delayed') return hash;
  if (state !== 'waiting' || !entryId) return undefined;
  const { lastDeliveredId } = await groupCursor(client, keys, group);
  return compareStreamIds(lastDeliveredId, entryId) < 0 ? hash : undefined;
}

/** The hash-like record of a plain job still waiting in the stream, or undefined. */
export async function findWaitingEntry(client: Redis, keys: QueueKeys, group: string, id: string): Promise<Record<string, string> | undefined> {
  if (!isStreamId(id)) return undefined;
  const entries = (await client.xrange(keys.stream, id, id)) as [string, string[]][];
  const entry = entries[0];
  if (!entry) return undefined;
  const hash = carriedJobHash(entry[0], entry[1]);
  if (!hash) return undefined;
  // read by the group already: the job has (or had) a record of its own
  const cursor = await groupCursor(client, keys, group);
  if (compareStreamIds(id, cursor.lastDeliveredId) <= 0) return undefined;
  return hash;
}
