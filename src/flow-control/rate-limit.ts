// The load-leveling rate limiter of a group: at most `max` job starts in any window of
// `duration` ms, across all its workers and processes. The lease script enforces it with Redis
// time (a sliding log of start times); the setting lives in the queue's meta hash, so every
// worker of the group reads the same one.
import type { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { shown } from '../validate.js';
import { MetaField, type QueueKeys } from '../redis/keys.js';

/**
 * A rate limit: at most `max` job starts in any window of `duration` ms, counted across every
 * worker and process of the consumer group (Redis time). Jobs over the limit wait; they do not
 * use an attempt. Used by the Worker option `limiter` and by `Queue.setRateLimit` (for the
 * whole group), and by the Worker option `keyLimiter` (for each ordering key).
 */
export interface RateLimit {
  /** Most job starts per window; an integer >= 1. No default: required. */
  max: number;
  /** The window, in ms; an integer >= 1. No default: required. */
  duration: number;
}

export function validateRateLimit(limit: unknown, what = 'limiter'): RateLimit {
  const l = limit as Partial<RateLimit> | null;
  if (typeof l !== 'object' || l === null) throw new InvalidOptionError(`${what} must be { max, duration }`);
  if (!Number.isSafeInteger(l.max) || l.max! < 1) throw new InvalidOptionError(`${what}.max must be an integer >= 1; got ${shown(l.max)}`);
  if (!Number.isSafeInteger(l.duration) || l.duration! < 1)
    throw new InvalidOptionError(`${what}.duration must be an integer number of ms >= 1; got ${shown(l.duration)}`);
  return { max: l.max!, duration: l.duration! };
}

/** A group's flow-control settings; null removes one, undefined leaves it as it is. */
export interface GroupLimits {
  limiter?: RateLimit | null;
  keyConcurrency?: number | null;
  keyLimiter?: RateLimit | null;
}

/** Writes a group's limits (read by its lease script), and nudges its blocked workers to re-check. */
export async function writeGroupLimits(client: Redis, keys: QueueKeys, group: string, limits: GroupLimits): Promise<void> {
  const tx = client.multi();
  const put = (field: string, value: string | null | undefined) => {
    if (value === null) tx.hdel(keys.meta, field);
    else if (value !== undefined) tx.hset(keys.meta, field, value);
  };
  const text = (l: RateLimit | null | undefined) => (l ? `${l.max}:${l.duration}` : l);
  put(MetaField.limit(group), text(limits.limiter));
  put(MetaField.keyLimit(group), text(limits.keyLimiter));
  put(MetaField.keyConcurrency(group), limits.keyConcurrency === null ? null : limits.keyConcurrency?.toString());
  tx.zadd(keys.group(group).wake, 'LT', 0, 'm'); // one blocked worker re-checks (see wake.lua)
  await tx.exec();
}

/**
 * Sets (or with null, removes) a group's rate limit. On a partitioned queue (`partitions`: the
 * keys of its partitions) the limit is the whole queue's, in its own meta, and each partition is
 * told to lease only starts reserved against it (src/partitions/rate-gate.ts): partitions are
 * told first when a limit is set, last when it is removed, so no lease ever skips the limit.
 */
export async function writeRateLimit(
  client: Redis,
  keys: QueueKeys,
  group: string,
  limit: RateLimit | null,
  partitions: QueueKeys[] = [],
): Promise<void> {
  const flag = (p: QueueKeys) =>
    limit ? client.hset(p.meta, MetaField.queueLimit(group), '1') : client.hdel(p.meta, MetaField.queueLimit(group));
  if (limit) await Promise.all(partitions.map(flag));
  await writeGroupLimits(client, keys, group, { limiter: limit });
  if (!limit) await Promise.all(partitions.map(flag));
}

export async function readRateLimit(client: Redis, keys: QueueKeys, group: string): Promise<RateLimit | undefined> {
  const value = await client.hget(keys.meta, MetaField.limit(group));
  const m = /^(\d+):(\d+)$/.exec(value ?? '');
  return m ? { max: Number(m[1]), duration: Number(m[2]) } : undefined;
}

/** A rate limit's window when it is full: the starts in it, and when the next start is allowed (ms, Redis time). */
export interface FullWindow {
  started: number;
  nextStartAt: number;
}

/**
 * Whether the limiter log `limiterKey` holds starts back at `now` (Redis time), read as the lease
 * script counts it (lua/includes/slidingWindow.lua: the starts after now - duration): the full
 * window, or undefined when a job may start. Two bounded reads, for the operator tools.
 */
export async function fullWindow(client: Redis, limiterKey: string, limit: RateLimit, now: number): Promise<FullWindow | undefined> {
  const after = `(${now - limit.duration}`;
  const started = await client.zcount(limiterKey, after, '+inf');
  if (started < limit.max) return undefined;
  // the window frees a start when its oldest start leaves it
  const [, oldest] = await client.zrangebyscore(limiterKey, after, '+inf', 'WITHSCORES', 'LIMIT', 0, 1);
  return { started, nextStartAt: Number(oldest ?? now) + limit.duration };
}
