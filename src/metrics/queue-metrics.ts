// A Queue's metrics read as one: each read goes to every partition of a partitioned queue (each
// partition keeps its own metrics keys, in its own slot) and the results are added up. Used by
// the Queue methods (metrics-methods.ts), the Prometheus exposition and the dashboard activity.
import type { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import type { GroupInfo } from '../fanout/groups.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { QueueKeys } from '../redis/keys.js';
import { shown, validateGroupName } from '../validate.js';
import { RING_MINUTES } from './flush-args.js';
import { addHistogram, emptyHistogram, type Histogram } from './histogram.js';
import {
  addTotals,
  emptyTotals,
  type GroupTotals,
  readMinuteCounts,
  readRecentHistograms,
  readRejections,
  readTotals,
  readWorkers,
  redisNow,
  type WorkerInfo,
} from './metrics-store.js';

/** What the reads need of one partition (of the queue itself, when it is not partitioned). */
export interface PartRef {
  client: Redis;
  keys: QueueKeys;
  /** The partition's groups (its Queue's getGroups()). */
  groups(): Promise<GroupInfo[]>;
}

/** The queue's partitions (the queue itself when it has one). */
export async function partsOf(queue: object): Promise<PartRef[]> {
  const parts = await queueInternals(queue).partitions();
  return parts.map((p) => {
    const q = queueInternals(p);
    return { client: q.client, keys: q.keys, groups: () => p.getGroups() };
  });
}

/** Per-minute history of a group, newest minute first (Queue.getMetrics). */
export interface MetricsHistory {
  /** Count per minute: data[0] is the minute of `meta.now`, data[1] the one before, … */
  data: number[];
  /** How many minutes `data` holds. */
  count: number;
  meta: {
    /** Redis' time of the read (ms); data[0] is its minute. */
    now: number;
    /** The sum of `data`. */
    total: number;
    /** Minutes kept at most (24 h). */
    minutesKept: number;
  };
}

/** Options of Queue.getMetrics: the group, and the range of minutes back from now (0: this minute; end inclusive, -1: the oldest kept). */
export interface GetMetricsOptions {
  group?: string;
  start?: number;
  end?: number;
}

function minuteRange(opts: GetMetricsOptions): [number, number] {
  const start = opts.start ?? 0;
  const end = opts.end === undefined || opts.end === -1 ? RING_MINUTES - 1 : opts.end;
  if (!Number.isInteger(start) || start < 0 || !Number.isInteger(end) || end < start) {
    throw new InvalidOptionError(`getMetrics needs integers 0 <= start <= end (or end -1); got ${start}, ${end}`);
  }
  return [start, Math.min(end, RING_MINUTES - 1)];
}

/** Completed (or failed for good) jobs per minute, summed over the partitions. */
export async function metricsHistory(queue: object, type: 'completed' | 'failed', opts: GetMetricsOptions = {}): Promise<MetricsHistory> {
  if (type !== 'completed' && type !== 'failed')
    throw new InvalidOptionError(`getMetrics type must be 'completed' or 'failed'; got ${shown(type)}`);
  const group = validateGroupName(opts.group ?? 'default');
  const [start, end] = minuteRange(opts);
  const parts = await partsOf(queue);
  const now = await redisNow(parts[0]!.client);
  const sums = new Array<number>(end + 1).fill(0);
  for (const counts of await Promise.all(parts.map((p) => readMinuteCounts(p.client, p.keys, group, now, end + 1)))) {
    const series = type === 'completed' ? counts.completed : counts.deadLettered;
    for (let i = 0; i <= end; i++) sums[i]! += series[i]!;
  }
  const data = sums.slice(start, end + 1);
  return { data, count: data.length, meta: { now, total: data.reduce((a, b) => a + b, 0), minutesKept: RING_MINUTES } };
}

/** A group's totals, summed over the partitions. */
export async function groupTotals(parts: PartRef[], group: string): Promise<GroupTotals> {
  const sum = emptyTotals();
  for (const t of await Promise.all(parts.map((p) => readTotals(p.client, p.keys, group)))) addTotals(sum, t);
  return sum;
}

/** The last hour's wait and processing histograms of a group, summed over the partitions. */
export async function recentHistograms(parts: PartRef[], group: string, now: number): Promise<{ wait: Histogram; processing: Histogram }> {
  const wait = emptyHistogram();
  const processing = emptyHistogram();
  for (const h of await Promise.all(parts.map((p) => readRecentHistograms(p.client, p.keys, group, now)))) {
    addHistogram(wait, h.wait);
    addHistogram(processing, h.processing);
  }
  return { wait, processing };
}

/** Jobs refused by backpressure, summed over the partitions. */
export async function rejections(parts: PartRef[]): Promise<number> {
  return (await Promise.all(parts.map((p) => readRejections(p.client, p.keys)))).reduce((a, b) => a + b, 0);
}

/** The group names of a queue (from its first partition: every partition has the same groups). */
export async function groupNames(parts: PartRef[]): Promise<string[]> {
  return (await parts[0]!.groups()).map((g) => g.name);
}

/** Live workers of the queue, of one group or of all (the registry lives in the first partition). */
export async function liveWorkers(queue: object, opts: { group?: string } = {}): Promise<WorkerInfo[]> {
  const parts = await partsOf(queue);
  const first = parts[0]!;
  const now = await redisNow(first.client);
  const groups = opts.group !== undefined ? [validateGroupName(opts.group)] : await groupNames(parts);
  return (await Promise.all(groups.map((g) => readWorkers(first.client, first.keys, g, now)))).flat();
}
