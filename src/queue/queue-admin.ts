// The queue's admin operations that touch many jobs. Each runs in bounded batches (one script
// call per batch), so that a queue of millions never stalls Redis for other clients.
import type { Redis } from 'ioredis';
import { redisNow } from '../redis/connection.js';
import { InvalidOptionError, ObliterateRefusedError } from '../errors.js';
import { ADMIN_BATCH } from '../limits.js';
import type { Scripts } from '../redis/scripts.js';
import { ControlScripts, type WaitingPart } from '../redis/control-scripts.js';
import type { CleanState } from './queue-getters.js';

/** How deep into a group's wait list (its redeliveries and lifo jobs) a clean looks. */
export const CLEAN_WAIT_SCAN = 10_000;

/** Redrives a group's finished jobs (failed by default), up to `count`; returns how many. */
export async function retryFinished(
  client: Redis,
  scripts: Scripts,
  group: string,
  state: 'failed' | 'completed',
  count = Infinity,
): Promise<number> {
  if (state !== 'failed' && state !== 'completed') throw new InvalidOptionError(`retryJobs state must be "failed" or "completed"`);
  // jobs that finish from now on are not picked up again: a bounded, ending loop
  const before = await redisNow(client);
  let total = 0;
  for (;;) {
    const moved = await scripts.retryJobs(group, state, before, Math.min(ADMIN_BATCH, count - total));
    total += moved;
    if (moved === 0 || total >= count) return total;
  }
}

/**
 * Makes up to `count` delayed jobs and scheduled retries of a group waiting now, the earliest
 * due first; returns how many. The loop ends at the size the two sets had when it started, so
 * jobs delayed meanwhile by a busy producer cannot keep it going for ever.
 */
export async function promoteDelayed(client: Redis, scripts: Scripts, group: string, count = Infinity): Promise<number> {
  const g = scripts.keys.group(group);
  const [delayed, retries] = await Promise.all([client.zcard(scripts.keys.delayed), client.zcard(g.retry)]);
  let left = delayed + retries;
  let total = 0;
  while (left > 0 && total < count) {
    const batch = Math.min(ADMIN_BATCH, left, count - total);
    const { promoted, taken } = await scripts.promoteJobs(group, batch);
    total += promoted;
    left -= taken;
    if (taken < batch) break;
  }
  return total;
}

/** Removes a group's waiting jobs (and the queue's delayed ones with `delayed`); returns how many. */
export async function drainGroup(scripts: Scripts, group: string, delayed: boolean): Promise<number> {
  let total = 0;
  // the scan of the group's ordering keys resumes where the previous call left it
  let keyCursor = '0';
  for (;;) {
    const batch = await scripts.drain(group, ADMIN_BATCH, delayed, keyCursor);
    total += batch.removed;
    keyCursor = batch.keyCursor;
    if (batch.processed < ADMIN_BATCH) return total;
  }
}

/** Deletes a group's finished jobs older than `graceMs` (Redis time), up to `limit` (<= 0: all). */
export async function cleanFinished(
  client: Redis,
  scripts: Scripts,
  group: string,
  graceMs: number,
  limit: number,
  state: CleanState,
): Promise<string[]> {
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new InvalidOptionError('clean: graceMs must be a number >= 0');
  // a fraction would reach the scripts' ZRANGE and LRANGE, which Redis refuses
  if (typeof limit !== 'number' || Number.isNaN(limit) || (Number.isFinite(limit) && !Number.isInteger(limit)))
    throw new InvalidOptionError('clean: limit must be an integer (<= 0: no limit)');
  if (state !== 'completed' && state !== 'failed') return cleanWaiting(client, scripts, group, graceMs, limit, state);
  const before = await cutOff(client, graceMs);
  const ids: string[] = [];
  const max = limit > 0 ? limit : Infinity;
  for (;;) {
    const batch = Math.min(ADMIN_BATCH, max - ids.length);
    const removed = await scripts.clean(group, state, before, batch, ids.length, ids.length + batch >= max);
    ids.push(...removed);
    if (removed.length < batch || ids.length >= max) return ids;
  }
}

/**
 * The time before which a clean takes jobs (Redis time, exclusive), whole: a fraction is no
 * stream id. Rounded up, so that "added before" means what it did with the fraction.
 */
async function cutOff(client: Redis, graceMs: number): Promise<number> {
  return Math.ceil((await redisNow(client)) - graceMs);
}

/** Where each waiting state's jobs wait, in the order a clean goes through them. */
const WAITING_PARTS: Record<string, WaitingPart[]> = {
  waiting: ['wait', 'stream', 'prio'],
  wait: ['wait', 'stream', 'prio'],
  paused: ['wait', 'stream', 'prio'],
  prioritized: ['prio'],
  delayed: ['retry', 'delayed'],
};

/**
 * clean() of waiting jobs (added more than `graceMs` ago, Redis time): each place they wait in
 * bounded calls (lua/clean-waiting.lua). `paused` cleans the waiting jobs only while the group
 * is paused; the queue's delayed jobs (no group has them yet) are cleaned through the default group.
 */
async function cleanWaiting(
  client: Redis,
  scripts: Scripts,
  group: string,
  graceMs: number,
  limit: number,
  state: string,
): Promise<string[]> {
  const parts = WAITING_PARTS[state];
  if (!parts) {
    throw new InvalidOptionError(`clean: unknown state "${state}"; use completed, failed, waiting, wait, delayed, prioritized or paused`);
  }
  if (state === 'paused' && (await client.exists(scripts.keys.group(group).paused)) === 0) return [];
  const wanted = parts.filter((part) => part !== 'delayed' || group === 'default');
  const controls = new ControlScripts(client, scripts.keys);
  const before = await cutOff(client, graceMs);
  // nothing was added before the epoch (and a negative cut-off is no stream id)
  if (before <= 0) return [];
  const ids: string[] = [];
  const max = limit > 0 ? limit : Infinity;
  for (const [i, part] of wanted.entries()) {
    let offset = 0;
    for (;;) {
      const batch = Math.min(ADMIN_BATCH, max - ids.length);
      const announce = ids.length + batch >= max ? 2 : i === wanted.length - 1 ? 1 : 0;
      const step = await controls.cleanWaiting(group, part, before, {
        batch,
        offset,
        listCap: CLEAN_WAIT_SCAN,
        sofar: ids.length,
        announce,
      });
      ids.push(...step.removed.slice(0, max - ids.length));
      offset = step.offset;
      if (ids.length >= max) return ids;
      if (step.looked < batch) break;
    }
  }
  return ids;
}

/**
 * Deletes the whole queue (every group's records too). Refused while jobs are active unless
 * forced. The first call that goes ahead pauses every group in the same atomic step as its
 * check (see obliterate.lua): no worker leases again, so no later call is refused half-way.
 */
export async function obliterateQueue(scripts: Scripts, queue: string, force: boolean): Promise<void> {
  for (;;) {
    const step = await scripts.obliterate(ADMIN_BATCH, force);
    if (step === 'refused') throw new ObliterateRefusedError(queue);
    if (step === 'done') return;
  }
}
