// The load-leveling rate limiter of a group: at most `max` job starts in any window of
// `duration` ms, across all its workers and processes. The lease script enforces it with Redis
// time (a sliding log of start times); the setting lives in the queue's meta hash, so every
// worker of the group reads the same one.
import type { Redis } from 'ioredis';
import { InvalidOptionError } from './errors.js';
import type { QueueKeys } from './keys.js';

export interface RateLimit {
  /** Most job starts per window. */
  max: number;
  /** The window, in ms. */
  duration: number;
}

export function validateRateLimit(limit: unknown, what = 'limiter'): RateLimit {
  const l = limit as Partial<RateLimit> | null;
  if (typeof l !== 'object' || l === null) throw new InvalidOptionError(`${what} must be { max, duration }`);
  if (!Number.isSafeInteger(l.max) || l.max! < 1) throw new InvalidOptionError(`${what}.max must be an integer >= 1; got ${String(l.max)}`);
  if (!Number.isSafeInteger(l.duration) || l.duration! < 1) throw new InvalidOptionError(`${what}.duration must be an integer number of ms >= 1; got ${String(l.duration)}`);
  return { max: l.max!, duration: l.duration! };
}

/** Sets (or with null, removes) a group's rate limit, and nudges its blocked workers to re-check. */
export async function writeRateLimit(client: Redis, keys: QueueKeys, group: string, limit: RateLimit | null): Promise<void> {
  const field = `limit:${group}`;
  const tx = client.multi();
  if (limit) tx.hset(keys.meta, field, `${limit.max}:${limit.duration}`);
  else tx.hdel(keys.meta, field);
  tx.xadd(keys.wake, 'MAXLEN', '16', '*', 'g', group);
  await tx.exec();
}

export async function readRateLimit(client: Redis, keys: QueueKeys, group: string): Promise<RateLimit | undefined> {
  const value = await client.hget(keys.meta, `limit:${group}`);
  const m = /^(\d+):(\d+)$/.exec(value ?? '');
  return m ? { max: Number(m[1]), duration: Number(m[2]) } : undefined;
}
