// The waiting half of queue.explain (explain.ts): for a job that waits (or is due), what holds
// it back, first match wins — the group is paused; no worker polls the group; the rate limit
// (dynamic or sliding window) allows no start yet; its ordering key is held or parked by its
// per-key limit; else the jobs ahead of it. Bounded reads: counts stop at POSITION_CAP, a
// key's holder is looked for among the first HOLDER_SCAN jobs of the active and retry sets.
import type { JobState } from '../job/job-state.js';
import { CONSUMER } from '../worker/lease-calls.js';
import { fullWindow } from '../flow-control/rate-limit.js';
import { JobField, MetaField } from '../redis/keys.js';
import { groupCursor } from '../redis/streams.js';
import type { ExplainTarget, Explanation } from './explain.js';

/** Jobs ahead counted at most ("at least N" beyond). */
export const POSITION_CAP = 1000;
/** Jobs of the active and the retry set read (first ones) to find who holds an ordering key. */
export const HOLDER_SCAN = 100;

/** What explain.ts knows of a waiting job when it hands over. */
export interface WaitingFacts {
  id: string;
  group: string;
  now: number;
  workerIdleMs: number;
  record: Record<string, string | undefined>;
  /** Where it waits, when known already: its stream entry (unread by the group), or due in the delayed/retry set. */
  place?: 'stream' | 'due' | undefined;
  dueAt?: number;
}

type Base = { jobId: string; group: string; state: JobState };

/**
 * How long ago the group's workers last read the stream (ms: the idle time of the consumer they
 * all share); null when no worker ever leased for the group (no consumer group yet); undefined
 * when Redis cannot tell (the group exists but its workers never read an entry: a queue whose
 * jobs are all ordered, prioritised or delayed, or a group made by createGroup).
 */
async function lastPoll(target: ExplainTarget, group: string): Promise<number | null | undefined> {
  let consumers: unknown[];
  try {
    consumers = (await target.client.call('XINFO', 'CONSUMERS', target.keys.stream, group)) as unknown[];
  } catch (err) {
    if ((err as Error).name === 'ReplyError') return null; // no stream or no consumer group yet
    throw err;
  }
  for (const c of consumers) {
    const info: Record<string, unknown> = {};
    if (Array.isArray(c)) for (let i = 0; i + 1 < c.length; i += 2) info[String(c[i])] = c[i + 1];
    else Object.assign(info, c);
    if (info.name === CONSUMER) return Number(info.idle ?? 0);
  }
  return undefined;
}

export async function explainWaiting(target: ExplainTarget, facts: WaitingFacts, base: Base): Promise<Explanation> {
  const { client, keys } = target;
  const { id, group, now, record } = facts;
  const g = keys.group(group);
  const key = record[JobField.orderingKey];
  const reads = client.pipeline();
  reads.exists(g.paused);
  reads.hmget(keys.meta, ...flowFields(group));
  reads.llen(g.wait);
  reads.lpos(g.wait, id, 'MAXLEN', POSITION_CAP);
  reads.zrank(g.prio, id);
  reads.zcard(g.active);
  if (key) {
    reads.hmget(g.keyState, `a:${key}`);
    reads.zscore(g.keyWait, key);
    reads.lpos(`${keys.base}g:${group}:key:${key}`, id, 'MAXLEN', POSITION_CAP);
  }
  const replies = (await reads.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const r = replies.map((x) => x[1]);
  const paused = Number(r[0]) === 1;
  const [limit, limitUntil, keyConc, keyLimit] = r[1] as (string | null)[];
  const waitLen = Number(r[2]);
  const waitPos = r[3] as number | null;
  const prioRank = r[4] as number | null;
  const running = Number(r[5]);
  const due = facts.place === 'due' ? ` (due since ${when(facts.dueAt ?? now, now)})` : '';

  if (paused)
    return {
      ...base,
      reason: 'paused',
      message: `Job ${id} waits${due}: group "${group}" is paused (queue.resume() lets it run).`,
      details: {},
    };

  const idle = await lastPoll(target, group);
  if (typeof idle === 'number' && idle > facts.workerIdleMs && running > 0) {
    return {
      ...base,
      reason: 'workers-busy',
      message:
        `Job ${id} waits${due}: the workers of group "${group}" are busy with ${plural(running)} ` +
        `and have not polled for ${Math.round(idle / 1000)} s.`,
      details: { lastPollMsAgo: idle, active: running },
    };
  }
  if (idle === null || (idle !== undefined && idle > facts.workerIdleMs)) {
    const message =
      idle === null
        ? `Job ${id} waits${due}: no worker has ever polled group "${group}".`
        : `Job ${id} waits${due}: no worker has polled group "${group}" for ${Math.round(idle / 1000)} s.`;
    return { ...base, reason: 'no-workers', message, details: { lastPollMsAgo: idle } };
  }

  const until = Number(limitUntil ?? 0);
  if (until > now)
    return {
      ...base,
      reason: 'rate-limited',
      message: `Job ${id} waits${due}: group "${group}" starts nothing before ${when(until, now)} (rate limited).`,
      details: { limitedUntil: until },
    };
  const window = /^(\d+):(\d+)$/.exec(limit ?? '');
  if (window) {
    const [max, duration] = [Number(window[1]), Number(window[2])];
    const full = await fullWindow(client, g.limiter, { max, duration }, now);
    if (full) {
      const next = full.nextStartAt;
      return {
        ...base,
        reason: 'rate-limited',
        message: `Job ${id} waits${due}: the rate limit (${max} per ${duration} ms) allows the next start at ${when(next, now)}.`,
        details: { limit: { max, duration }, startedInWindow: full.started, nextStartAt: next },
      };
    }
  }

  if (key) {
    const held = Number((r[6] as (string | null)[])[0] ?? 0);
    const parkedUntil = r[7] === null ? undefined : Number(r[7]);
    const keyPos = r[8] as number | null;
    const conc = Number(keyConc ?? 1) || 1;
    if (held >= conc) {
      const holder = await keyHolder(target, group, key, id);
      const by = holder ? `job ${holder}` : `${held} other job${held === 1 ? '' : 's'}`;
      return {
        ...base,
        reason: 'key-held',
        message: `Job ${id} waits: its ordering key "${key}" is held by ${by}${keyPos ? `, and ${plural(keyPos)} of it are ahead` : ''}.`,
        details: { orderingKey: key, heldBy: holder, slotsHeld: held, keyConcurrency: conc, keyPosition: keyPos },
      };
    }
    if (parkedUntil !== undefined && parkedUntil > now) {
      return {
        ...base,
        reason: 'key-rate-limited',
        message: `Job ${id} waits: its ordering key "${key}" may start again at ${when(parkedUntil, now)} (per-key limit ${keyLimit}).`,
        details: { orderingKey: key, nextStartAt: parkedUntil, keyLimit },
      };
    }
    if (keyPos !== null && keyPos > 0) return ahead(base, id, keyPos, POSITION_CAP, `of ordering key "${key}"`, { orderingKey: key });
  }

  // its place in the group's order: redeliveries first, then the stream, then priorities
  if (waitPos !== null) return ahead(base, id, waitPos, POSITION_CAP, 'in the redelivery list', {});
  const entry = record[JobField.streamEntry];
  if (!key && prioRank === null && entry) {
    const { lastDeliveredId } = await groupCursor(client, keys, group);
    const before = (await client.xrange(keys.stream, `(${lastDeliveredId}`, `(${entry}`, 'COUNT', POSITION_CAP)).length;
    return ahead(base, id, waitLen + before, waitLen + POSITION_CAP, 'in the stream and redeliveries', {});
  }
  if (prioRank !== null)
    return ahead(base, id, waitLen + prioRank, waitLen + POSITION_CAP, 'by priority (after redeliveries and new jobs)', {});
  return ahead(base, id, 0, POSITION_CAP, '', {});
}

/** The "waiting behind N jobs" answer; `cap`: a count that reached it is a lower bound. */
function ahead(base: Base, id: string, n: number, cap: number, where: string, details: Record<string, unknown>): Explanation {
  const atLeast = n >= cap;
  const count = `${atLeast ? 'at least ' : ''}${n} job${n === 1 ? '' : 's'}`;
  const message =
    n === 0
      ? `Job ${id} is next: the group's workers take it at their next lease (they may all be busy).`
      : `Job ${id} is waiting behind ${count}${where ? ` ${where}` : ''}.`;
  return { ...base, reason: 'waiting', message, details: { ...details, ahead: n, atLeast } };
}

/** The job holding a slot of ordering key `key`, among the first jobs of the active and retry sets. */
async function keyHolder(target: ExplainTarget, group: string, key: string, self: string): Promise<string | undefined> {
  const { client, keys } = target;
  const g = keys.group(group);
  const [active, retry] = await Promise.all([
    client.zrange(g.active, '0', String(HOLDER_SCAN - 1)),
    client.zrange(g.retry, '0', String(HOLDER_SCAN - 1)),
  ]);
  const ids = [...active, ...retry].filter((j) => j !== self);
  if (ids.length === 0) return undefined;
  const pipeline = client.pipeline();
  for (const j of ids) pipeline.hget(g.job(j), JobField.orderingKey);
  const replies = (await pipeline.exec()) ?? [];
  const i = replies.findIndex(([err, ok]) => !err && ok === key);
  return i < 0 ? undefined : ids[i];
}

/** "1 job", "2 jobs". */
function plural(n: number): string {
  return `${n} job${n === 1 ? '' : 's'}`;
}

/** A time for a sentence: ISO, with how far it is from now. */
export function when(at: number, now: number): string {
  const s = Math.round(Math.abs(at - now) / 100) / 10;
  return `${new Date(at).toISOString()} (${at >= now ? `in ${s} s` : `${s} s ago`})`;
}

/** The meta fields of the group's flow control: rate limit, dynamic limit, key concurrency, per-key limit. */
function flowFields(group: string): string[] {
  return [MetaField.limit(group), MetaField.limitUntil(group), MetaField.keyConcurrency(group), MetaField.keyLimit(group)];
}
