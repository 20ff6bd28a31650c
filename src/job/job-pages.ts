// Paged reads of one group's jobs by state: every call reads at most MAX_PAGE jobs with a
// bounded number of commands, whatever the size of the queue. Two ways to page: offsets
// (start..end, as getJobs takes them) and an opaque cursor (getJobsPage), which costs the same
// for every page, however deep. Order: waiting jobs in the order they will be leased
// (redeliveries, the stream, then priorities), delayed ones soonest first, active ones by lease
// deadline, finished ones newest first.
import type { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { shown } from '../validate.js';
import type { JobState } from './job.js';
import { JobField, type QueueKeys } from '../redis/keys.js';
import { carriedJobHash, compareStreamIds, groupCursor } from '../redis/streams.js';

/** Jobs a read returns when it does not say how many. */
export const DEFAULT_PAGE = 100;
/** Most jobs one read returns. */
export const MAX_PAGE = 1000;
/** Most stream entries an offset may skip (reading them): deeper, page with a cursor. */
export const MAX_STREAM_SKIP = 10_000;

/** Options of `Queue.getJobsPage`: which page, and how many jobs. */
export interface PageOptions {
  /**
   * Where to go on: the `next` of the previous page, for the same state.
   * @default none: the first page.
   */
  cursor?: string;
  /**
   * How many jobs at most: an integer from 1 to 1,000.
   * @default 100
   */
  count?: number;
}

/** A job as a page lists it: its id, and the copy a stream entry carries when it has no record here. */
export interface PageItem {
  id: string;
  carried?: Record<string, string>;
  /** A delayed job (the queue's, not yet in any group): its record is the published one. */
  published?: boolean;
}

export interface ItemPage {
  items: PageItem[];
  /** The cursor of the next page; null when this one reached the end. */
  next: string | null;
}

const STATES: readonly JobState[] = ['waiting-children', 'waiting', 'active', 'delayed', 'completed', 'failed'];

export function checkState(state: JobState): void {
  if (!STATES.includes(state))
    throw new InvalidOptionError(`unknown state "${shown(state)}"; use waiting-children, waiting, active, delayed, completed or failed`);
}

/** The number of jobs start..end asks for (end -1: a default page), checked against the cap. */
export function rangeCount(start: number, end: number): number {
  if (!Number.isSafeInteger(start) || start < 0) throw new InvalidOptionError(`start must be an integer >= 0; got ${start}`);
  if (end === -1) return DEFAULT_PAGE;
  if (!Number.isSafeInteger(end) || end < start) throw new InvalidOptionError(`end must be -1 or an integer >= start; got ${end}`);
  const count = end - start + 1;
  if (count > MAX_PAGE) {
    throw new InvalidOptionError(
      `one read returns at most ${MAX_PAGE} jobs; ${start}..${end} asks for ${count}: read successive ranges, or page with getJobsPage`,
    );
  }
  return count;
}

export function pageCount(count: number | undefined): number {
  if (count === undefined) return DEFAULT_PAGE;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_PAGE)
    throw new InvalidOptionError(`count must be an integer from 1 to ${MAX_PAGE}; got ${count}`);
  return count;
}

function badCursor(cursor: string): never {
  throw new InvalidOptionError(`not a cursor of this state: ${JSON.stringify(cursor)}; pass the next of the previous page`);
}

function rankOf(text: string | undefined, cursor: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) badCursor(cursor);
  return n;
}

/** An entry j = id written for fan-out carries a copy of the job (n, d, o, ts, ...: the job hash's names). */
function carriedCopy(fields: string[]): Record<string, string> | undefined {
  if (fields[2] !== JobField.name || fields[5] === undefined) return undefined;
  const copy: Record<string, string> = { [JobField.state]: 'waiting', [JobField.attemptsMade]: '0', [JobField.deliveries]: '0' };
  for (let i = 2; i + 1 < fields.length; i += 2) if (fields[i + 1] !== '') copy[fields[i]!] = fields[i + 1]!;
  return copy;
}

/** Pairs of a WITHSCORES reply (RESP2 a flat list, RESP3 pairs). */
function scored(reply: unknown[]): { id: string; score: string }[] {
  const flat = reply.flat() as string[];
  const out: { id: string; score: string }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, score: flat[i + 1]! });
  return out;
}

export class JobPager {
  constructor(
    private readonly client: Redis,
    private readonly keys: QueueKeys,
    private readonly group: string,
  ) {}

  /** Jobs start.. (count of them) of a state. */
  async range(state: JobState, start: number, count: number): Promise<PageItem[]> {
    checkState(state);
    switch (state) {
      case 'waiting':
        return (await this.waiting({ seg: 'w', pos: '0' }, start, count)).items;
      case 'delayed': {
        const [i, j] = await this.delayedSplit(start);
        return (await this.delayed(i, j, count)).items;
      }
      default:
        return (await this.ranked(state, start, count)).items;
    }
  }

  /** One page of a state from a cursor (none: the first page). */
  async page(state: JobState, cursor: string | undefined, count: number): Promise<ItemPage> {
    checkState(state);
    if (cursor !== undefined && typeof cursor !== 'string') badCursor(String(cursor));
    const [tag, a, b] = (cursor ?? '').split(':');
    switch (state) {
      case 'waiting': {
        if (cursor === undefined) return this.waiting({ seg: 'w', pos: '0' }, 0, count);
        if (tag !== 'w' && tag !== 's' && tag !== 'p') badCursor(cursor);
        const pos = cursor.slice(2);
        if (tag === 's' ? !/^\d+-\d+$/.test(pos) : !/^\d+$/.test(pos)) badCursor(cursor);
        return this.waiting({ seg: tag, pos }, 0, count);
      }
      case 'delayed':
        if (cursor === undefined) return this.delayed(0, 0, count);
        if (tag !== 'd') badCursor(cursor);
        return this.delayed(rankOf(a, cursor), rankOf(b, cursor), count);
      default:
        if (cursor === undefined) return this.ranked(state, 0, count);
        if (tag !== 'r' || b !== undefined) badCursor(cursor);
        return this.ranked(state, rankOf(a, cursor), count);
    }
  }

  /**
   * Active jobs by lease deadline, finished ones newest first, flow parents waiting for their
   * children oldest first (the queue's: their records are the published ones): ranks of one sorted set.
   */
  private async ranked(state: JobState, start: number, count: number): Promise<ItemPage> {
    const g = this.keys.group(this.group);
    const stop = String(start + count - 1);
    const ids =
      state === 'active'
        ? await this.client.zrange(g.active, String(start), stop)
        : state === 'waiting-children'
          ? await this.client.zrange(this.keys.waitingChildren, String(start), stop)
          : await this.client.zrevrange(state === 'completed' ? g.completed : g.failed, String(start), stop);
    const published = state === 'waiting-children' ? { published: true } : {};
    return { items: ids.map((id) => ({ id, ...published })), next: ids.length < count ? null : `r:${start + ids.length}` };
  }

  /**
   * Delayed jobs (the queue's delayed set) and the group's scheduled retries, merged by due
   * time (at equal scores a delayed job first); a cursor holds the rank reached in each set.
   */
  private async delayed(i: number, j: number, count: number): Promise<ItemPage> {
    const stop = (from: number) => String(from + count - 1);
    const [a, b] = await Promise.all([
      this.client.zrange(this.keys.delayed, String(i), stop(i), 'WITHSCORES'),
      this.client.zrange(this.keys.group(this.group).retry, String(j), stop(j), 'WITHSCORES'),
    ]);
    const delayed = scored(a);
    const retries = scored(b);
    const items: PageItem[] = [];
    let x = 0;
    let y = 0;
    while (items.length < count && (x < delayed.length || y < retries.length)) {
      const d = delayed[x];
      const r = retries[y];
      if (d && (!r || Number(d.score) <= Number(r.score))) {
        items.push({ id: d.id, published: true });
        x++;
      } else {
        items.push({ id: r!.id });
        y++;
      }
    }
    const exhausted = delayed.length < count && retries.length < count && x === delayed.length && y === retries.length;
    return { items, next: exhausted ? null : `d:${i + x}:${j + y}` };
  }

  /**
   * Where the merged order's rank `start` falls in each set: [delayed rank, retry rank]. A
   * binary search over the delayed set (each probe: its score there, and how many retries
   * come before it), so a deep offset costs about 2·log2(size) small commands.
   */
  private async delayedSplit(start: number): Promise<[number, number]> {
    if (start === 0) return [0, 0];
    const retryKey = this.keys.group(this.group).retry;
    const size = await this.client.zcard(this.keys.delayed);
    let lo = 0;
    let hi = Math.min(size, start);
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const [probe] = scored(await this.client.zrange(this.keys.delayed, String(mid), String(mid), 'WITHSCORES'));
      // the set shrank meanwhile (promotion): the rest is beyond it
      if (!probe) {
        hi = mid;
        continue;
      }
      const before = mid + (await this.client.zcount(retryKey, '-inf', `(${probe.score}`));
      if (before < start) lo = mid + 1;
      else hi = mid;
    }
    return [lo, start - lo];
  }

  /**
   * Waiting jobs in lease order: the redelivery list (w:<index>), the stream after the group's
   * cursor (s:<last entry id listed>), the priority set (p:<rank>). `skip` jobs are passed
   * over first: by index in the list and the set, by reading entries in the stream (at most
   * MAX_STREAM_SKIP of them: deeper, a cursor goes on where the last page ended).
   */
  private async waiting(from: { seg: string; pos: string }, skip: number, count: number): Promise<ItemPage> {
    const g = this.keys.group(this.group);
    const items: PageItem[] = [];
    let { seg, pos } = from;
    if (seg === 'w') {
      let index = Number(pos);
      if (skip > 0) {
        const length = await this.client.llen(g.wait);
        const passed = Math.min(skip, Math.max(0, length - index));
        index += passed;
        skip -= passed;
      }
      const ids = skip > 0 ? [] : await this.client.lrange(g.wait, String(index), String(index + count - 1));
      for (const id of ids) items.push({ id });
      if (items.length === count) return { items, next: `w:${index + ids.length}` };
      seg = 's';
      pos = '0-0';
    }
    if (seg === 's') {
      // entries the group has read since are not waiting any more
      const { lastDeliveredId } = await groupCursor(this.client, this.keys, this.group);
      let after = compareStreamIds(pos, lastDeliveredId) < 0 ? lastDeliveredId : pos;
      let ended = false;
      for (let skipped = 0; skip > 0 && !ended; ) {
        if (skipped >= MAX_STREAM_SKIP) {
          throw new InvalidOptionError(
            `an offset reads past at most ${MAX_STREAM_SKIP} waiting stream entries; ` +
              'page deeper with getJobsPage, whose cursor goes on where a page ended',
          );
        }
        const n = Math.min(skip, MAX_PAGE);
        const entries = (await this.client.xrange(this.keys.stream, `(${after}`, '+', 'COUNT', n)) as [string, string[]][];
        if (entries.length > 0) after = entries[entries.length - 1]![0];
        skip -= entries.length;
        skipped += entries.length;
        ended = entries.length < n;
      }
      if (!ended && skip === 0) {
        const need = count - items.length;
        const entries = (await this.client.xrange(this.keys.stream, `(${after}`, '+', 'COUNT', need)) as [string, string[]][];
        for (const [entryId, fields] of entries) {
          const item = this.streamItem(entryId, fields);
          if (item) items.push(item);
        }
        if (entries.length === need) return { items, next: `s:${entries[entries.length - 1]![0]}` };
      }
      seg = 'p';
      pos = '0';
    }
    const rank = Number(pos) + skip;
    const need = count - items.length;
    if (need === 0) return { items, next: `p:${rank}` };
    const ids = await this.client.zrange(g.prio, String(rank), String(rank + need - 1));
    for (const id of ids) items.push({ id });
    return { items, next: ids.length < need ? null : `p:${rank + ids.length}` };
  }

  /** A stream entry as a page item: a job with a record (j = id) or one carried whole. */
  private streamItem(entryId: string, fields: string[]): PageItem | undefined {
    if (fields[0] === 'j' && fields[1] !== undefined) {
      // the default group's record is the published one; another group reads the copy the
      // entry carries (it has no record of its own before its first lease)
      return this.group === 'default' ? { id: fields[1] } : { id: fields[1], carried: carriedCopy(fields) };
    }
    const carried = carriedJobHash(entryId, fields);
    return carried ? { id: entryId, carried } : undefined;
  }
}
