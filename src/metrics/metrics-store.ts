// Reads of the metrics workers and producers keep in Redis (written by record-metrics.lua and
// rejections.ts), for one queue or one partition: a group's totals, its per-minute rings, the
// worker registry, the queue's rejection count. Each read is a fixed number of commands on
// fixed-size keys, whatever the queue holds. Summing partitions is the callers' (metrics-methods.ts).
import type { Redis } from 'ioredis';
import type { QueueKeys } from '../redis/keys.js';
import { BUCKETS, emptyHistogram, type Histogram } from './histogram.js';
import { HIST_FIELDS, HIST_MINUTES, RING_FIELDS, RING_MINUTES, type WorkerDescription } from './flush-args.js';

/** A group's monotonic totals, as counted by its workers since the group first had metrics. */
export interface GroupTotals {
  completed: number;
  /** Failed attempts that were retried. */
  retried: number;
  /** Jobs failed for good (dead-lettered). */
  deadLettered: number;
  /** Expired leases reclaimed. */
  stalled: number;
  /** ms workers were held by the group's rate limit. */
  rateLimitedMs: number;
  /** Wait times (ms): from ready to leased. */
  wait: Histogram;
  /** Processing times (ms). */
  processing: Histogram;
}

/** Totals of nothing. */
export function emptyTotals(): GroupTotals {
  return { completed: 0, retried: 0, deadLettered: 0, stalled: 0, rateLimitedMs: 0, wait: emptyHistogram(), processing: emptyHistogram() };
}

/** Adds `from` into `into`. */
export function addTotals(into: GroupTotals, from: GroupTotals): void {
  into.completed += from.completed;
  into.retried += from.retried;
  into.deadLettered += from.deadLettered;
  into.stalled += from.stalled;
  into.rateLimitedMs += from.rateLimitedMs;
  for (let i = 0; i < BUCKETS; i++) {
    into.wait.counts[i]! += from.wait.counts[i]!;
    into.processing.counts[i]! += from.processing.counts[i]!;
  }
  into.wait.sum += from.wait.sum;
  into.processing.sum += from.processing.sum;
}

/** A group's totals in one queue or partition (one GET of a string of at most TOTAL_FIELDS i64s). */
export async function readTotals(client: Redis, keys: QueueKeys, group: string): Promise<GroupTotals> {
  const raw = await client.getBuffer(keys.group(group).metrics);
  const n = (field: number) => (raw && raw.length >= (field + 1) * 8 ? Number(raw.readBigInt64BE(field * 8)) : 0);
  const totals: GroupTotals = {
    completed: n(0),
    retried: n(1),
    deadLettered: n(2),
    stalled: n(3),
    rateLimitedMs: n(4),
    wait: { counts: [], sum: n(5) },
    processing: { counts: [], sum: n(6) },
  };
  for (let i = 0; i < BUCKETS; i++) {
    totals.wait.counts.push(n(7 + i));
    totals.processing.counts.push(n(7 + BUCKETS + i));
  }
  return totals;
}

/** Redis' time (ms). */
export async function redisNow(client: Redis): Promise<number> {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** Per-minute counts of a group, index 0 the minute of `now`, back `minutes` minutes. */
export interface MinuteCounts {
  completed: number[];
  deadLettered: number[];
}

/** The last `minutes` (≤ RING_MINUTES) minutes of completed and dead-lettered counts, newest first. */
export async function readMinuteCounts(client: Redis, keys: QueueKeys, group: string, now: number, minutes: number): Promise<MinuteCounts> {
  const ring = await client.getBuffer(keys.group(group).minutes);
  const current = Math.floor(now / 60_000);
  const out: MinuteCounts = { completed: new Array(minutes).fill(0), deadLettered: new Array(minutes).fill(0) };
  if (!ring) return out;
  for (let i = 0; i < Math.min(minutes, RING_MINUTES); i++) {
    const minute = current - i;
    const at = (minute % RING_MINUTES) * RING_FIELDS * 4;
    // a slot stamped with another minute is stale (nothing was recorded in this one)
    if (at + RING_FIELDS * 4 > ring.length || ring.readUInt32BE(at) !== minute) continue;
    out.completed[i] = ring.readUInt32BE(at + 4);
    out.deadLettered[i] = ring.readUInt32BE(at + 8);
  }
  return out;
}

/** The wait and processing histograms of the last `minutes` (≤ HIST_MINUTES) minutes, added up. */
export async function readRecentHistograms(
  client: Redis,
  keys: QueueKeys,
  group: string,
  now: number,
  minutes = HIST_MINUTES,
): Promise<{ wait: Histogram; processing: Histogram }> {
  const ring = await client.getBuffer(keys.group(group).minuteHist);
  const wait = emptyHistogram();
  const processing = emptyHistogram();
  if (!ring) return { wait, processing };
  const current = Math.floor(now / 60_000);
  for (let i = 0; i < Math.min(minutes, HIST_MINUTES); i++) {
    const minute = current - i;
    const at = (minute % HIST_MINUTES) * HIST_FIELDS * 4;
    if (at + HIST_FIELDS * 4 > ring.length || ring.readUInt32BE(at) !== minute) continue;
    for (let b = 0; b < BUCKETS; b++) {
      wait.counts[b]! += ring.readUInt32BE(at + 4 * (1 + b));
      processing.counts[b]! += ring.readUInt32BE(at + 4 * (1 + BUCKETS + b));
    }
  }
  return { wait, processing };
}

/** A live worker of a group, as its last heartbeat described it (the description it sends, flush-args.ts, and what the script adds). */
export interface WorkerInfo extends WorkerDescription {
  /** Its id (`host:pid:random`, as Worker.id). */
  id: string;
  /** When it first beat (ms, Redis time). */
  started: number;
  /** Its last heartbeat (ms, Redis time). */
  lastHeartbeat: number;
}

/** Most registry entries read per group. */
export const MAX_LISTED_WORKERS = 1_000;

/** The live workers of a group (entries whose heartbeat has not expired at Redis' `now`). */
export async function readWorkers(client: Redis, keys: QueueKeys, group: string, now: number): Promise<WorkerInfo[]> {
  const g = keys.group(group);
  const ids = await client.zrange(g.workers, '+inf', `(${now}`, 'BYSCORE', 'REV', 'LIMIT', 0, MAX_LISTED_WORKERS);
  if (ids.length === 0) return [];
  const infos = await client.mget(...ids.map((id) => g.worker(id)));
  const out: WorkerInfo[] = [];
  ids.forEach((id, i) => {
    const text = infos[i];
    if (!text) return; // expired between the two reads
    try {
      const e = JSON.parse(text) as Record<string, unknown>;
      out.push({
        id,
        name: String(e.name ?? ''),
        host: String(e.host ?? ''),
        pid: Number(e.pid ?? 0),
        group: String(e.group ?? group),
        concurrency: Number(e.concurrency ?? 0),
        running: Number(e.running ?? 0),
        started: Number(e.started ?? 0),
        lastHeartbeat: Number(e.heartbeat ?? 0),
      });
    } catch {
      // an entry sluice did not write: not listed
    }
  });
  return out;
}

/** Jobs refused because the queue (or partition) was full (maxLength). */
export async function readRejections(client: Redis, keys: QueueKeys): Promise<number> {
  return Number((await client.hget(keys.metrics, 'rejected')) ?? 0);
}
