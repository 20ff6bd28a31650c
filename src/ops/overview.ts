// What an operator sees of a queue at a glance (the dashboard's overview, `sluice stats`): per
// consumer group its counts by state, lag, the age of its oldest unread job, pause, rate limit
// and whether it is limiting now, and the room left under maxLength; per queue its schedulers.
// Every read is bounded whatever the queue holds: counts are ZCARD/LLEN/XINFO (no range of jobs
// is read), the oldest unread job is one stream entry, the limiter's state one ZCOUNT. A queue
// with more than MAX_OVERVIEW_GROUPS groups shows the first ones by name. A partitioned queue
// is read partition by partition and summed.
import type { JobCounts } from '../queue/queue-reader.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { fullWindow, type RateLimit } from '../flow-control/rate-limit.js';
import { MetaField } from '../redis/keys.js';
import { streamGroups } from '../redis/streams.js';

/** The most groups an overview shows (the first by name). */
export const MAX_OVERVIEW_GROUPS = 100;

/** One consumer group of a queue, as the overview shows it. */
export interface GroupOverview {
  /** The group's name (`default` unless groups were created). */
  name: string;
  /** Job counts by state (as `getJobCounts({ group })`), summed over partitions. */
  counts: JobCounts;
  /** Whether the group is paused (in every partition). */
  paused: boolean;
  /** Stream entries the group has not read yet; `exact` false when it is an upper bound (see GroupInfo.unread). */
  lag: { unread: number; exact: boolean };
  /** Age in ms (Redis time) of the oldest job added that the group has not read yet; null when it has read them all. */
  oldestUnreadAgeMs: number | null;
  /** Workers attached to the group's stream consumer group (they share one consumer name: 0 or 1 per partition). */
  consumers: number;
  /** The group's rate limit, or null. */
  rateLimit: RateLimit | null;
  /**
   * Whether the rate limit (or a worker's `rateLimit(ms)`) holds starts back now, and until when
   * (ms since the epoch, Redis time) at the latest.
   */
  limited: { now: boolean; until: number | null };
}

/** A queue as the overview shows it. */
export interface QueueOverview {
  /** The queue's name. */
  name: string;
  /** Its number of partitions (1 when not partitioned). */
  partitions: number;
  /** Redis time (ms since the epoch) when it was read. */
  readAt: number;
  /** The queue's maxLength (backpressure), or null without one. */
  maxLength: number | null;
  /** How many more jobs the queue takes before adds are refused (counted as the add script does), or null without maxLength. */
  room: number | null;
  /** Its groups, by name (at most MAX_OVERVIEW_GROUPS). */
  groups: GroupOverview[];
  /** Whether groups were left out (more than MAX_OVERVIEW_GROUPS). */
  groupsTruncated: boolean;
  /** Its schedulers with slots ahead, and the next to fire. */
  schedulers: { count: number; next: { key: string; at: number } | null };
}

/** The id's time part (ms) of a stream entry id `ms-seq`. */
function entryTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** Per partition: the time of the oldest entry past each group's cursor, and the stream's consumers. */
async function unreadHeads(
  queue: Queue<never, never>,
  groups: string[],
): Promise<Map<string, { oldest: number | null; consumers: number }>> {
  const { client, keys } = queueInternals(queue);
  const cursors = await streamGroups(client, keys);
  const heads = new Map<string, { oldest: number | null; consumers: number }>();
  await Promise.all(
    groups.map(async (group) => {
      const cursor = cursors.find((c) => c.name === group);
      // without a cursor the default group reads from the start; another group from now on
      if (!cursor && group !== 'default') return heads.set(group, { oldest: null, consumers: 0 });
      const from = cursor ? `(${cursor.lastDeliveredId}` : '-';
      const [first] = (await client.xrange(keys.stream, from, '+', 'COUNT', 1)) as [string, string[]][];
      heads.set(group, { oldest: first ? entryTime(first[0]) : null, consumers: cursor?.consumers ?? 0 });
    }),
  );
  return heads;
}

/** Whether the group's limiter holds starts back at `now`, and until when. */
async function limiterState(queue: Queue, group: string, limit: RateLimit | null, now: number): Promise<GroupOverview['limited']> {
  const { client, keys } = queueInternals(queue);
  const until = Number((await client.hget(keys.meta, MetaField.limitUntil(group))) ?? 0);
  if (until > now) return { now: true, until };
  if (!limit) return { now: false, until: null };
  const full = await fullWindow(client, keys.group(group).limiter, limit, now);
  return full ? { now: true, until: full.nextStartAt } : { now: false, until: null };
}

/** The next scheduler to fire, over every partition. */
async function schedulerState(parts: Queue<never, never>[]): Promise<QueueOverview['schedulers']> {
  let count = 0;
  let next: { key: string; at: number } | null = null;
  for (const part of parts) {
    const { client, keys } = queueInternals(part);
    const [n, first] = await Promise.all([client.zcard(keys.schedulers), client.zrange(keys.schedulers, '0', '0', 'WITHSCORES')]);
    count += n;
    if (first.length === 2 && (next === null || Number(first[1]) < next.at)) next = { key: first[0]!, at: Number(first[1]) };
  }
  return { count, next };
}

/** The queue's overview: bounded reads only (see the file's header). */
export async function queueOverview(queue: Queue): Promise<QueueOverview> {
  const inside = queueInternals(queue);
  const parts = await inside.partitions();
  const [seconds, micros] = (await inside.client.time()) as unknown as [string, string];
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const allGroups = await queue.getGroups();
  const groupInfos = allGroups.slice(0, MAX_OVERVIEW_GROUPS);
  const names = groupInfos.map((g) => g.name);
  const perPart = await Promise.all(parts.map((p) => unreadHeads(p, names)));
  const groups = await Promise.all(
    groupInfos.map(async (info): Promise<GroupOverview> => {
      const [counts, rateLimit] = await Promise.all([queue.getJobCounts({ group: info.name }), queue.getRateLimit({ group: info.name })]);
      const heads = perPart.map((m) => m.get(info.name));
      const oldest = heads.reduce<number | null>((o, h) => (h?.oldest != null && (o === null || h.oldest < o) ? h.oldest : o), null);
      return {
        name: info.name,
        counts,
        paused: counts.paused,
        lag: { unread: info.unread, exact: info.unreadExact },
        oldestUnreadAgeMs: oldest === null ? null : Math.max(0, now - oldest),
        consumers: heads.reduce((n, h) => n + (h?.consumers ?? 0), 0),
        rateLimit: rateLimit ?? null,
        limited: await limiterState(queue, info.name, rateLimit ?? null, now),
      };
    }),
  );
  const maxLengths = await Promise.all(parts.map((p) => queueInternals(p).client.hget(queueInternals(p).keys.meta, MetaField.maxLength)));
  const maxLength = maxLengths.every((m) => m !== null && Number(m) > 0) ? maxLengths.reduce((s, m) => s + Number(m), 0) : null;
  const busiest = groups.reduce((n, g) => Math.max(n, g.counts.waiting), 0);
  const delayed = groups.reduce((n, g) => Math.max(n, g.counts.delayed), 0);
  return {
    name: queue.name,
    partitions: parts.length,
    readAt: now,
    maxLength,
    room: maxLength === null ? null : Math.max(0, maxLength - busiest - delayed),
    groups,
    groupsTruncated: allGroups.length > groupInfos.length,
    schedulers: await schedulerState(parts),
  };
}
