// The layout of the metrics a worker keeps in Redis (the ring sizes, the registry's timing) and
// the ARGV of one record-metrics.lua call built from a recorder's counts. Shared by the writer
// (worker-metrics.ts) and the readers (metrics-store.ts), so that both agree on the layout.
import type { Arg } from '../redis/script-caller.js';
import { BUCKETS } from './histogram.js';
import type { MetricsCounts } from './recorder.js';

/** Minutes of completed/dead-lettered counts kept (the per-minute ring: 24 h). */
export const RING_MINUTES = 1440;
/** Minutes of wait/processing histograms kept (their per-minute ring: 1 h). */
export const HIST_MINUTES = 60;
/** u32 fields per slot of the completed/dead ring: minute stamp, completed, dead-lettered. */
export const RING_FIELDS = 3;
/** i64 fields of the totals: completed, retried, dead, stalled, limited ms, wait sum, processing sum, then the buckets. */
export const TOTAL_FIELDS = 7 + 2 * BUCKETS;
/** u32 fields per slot of the histogram ring: minute stamp, wait buckets, processing buckets. */
export const HIST_FIELDS = 1 + 2 * BUCKETS;
/** Default flush (and heartbeat) interval of a worker's metrics (ms). */
export const DEFAULT_FLUSH_MS = 5_000;
/** Heartbeats a worker may miss before its registry entry expires. */
export const MISSED_HEARTBEATS = 3;
/**
 * A worker with nothing to flush (no counts, its description unchanged) beats once per this
 * many flush intervals: an idle worker's cost stays small (docs/performance.md). Its entry lives
 * MISSED_HEARTBEATS of those longer intervals.
 */
export const IDLE_BEAT_EVERY = 2;
/** Every this many heartbeats, one also reaps expired entries and looks at the registry's TTL. */
export const REAP_EVERY = 3;
/** Expired registry entries removed per flush (record-metrics.lua reapMax). */
export const REAP_MAX = 100;

/** The worker's entry in its group's registry (the script adds `started` and `heartbeat`). */
export interface WorkerDescription {
  /** WorkerOptions.name, else `host:pid`. */
  name: string;
  /** The host it runs on. */
  host: string;
  /** Its process id. */
  pid: number;
  /** The group it works for. */
  group: string;
  /** Its concurrency. */
  concurrency: number;
  /** Jobs it was running at its last heartbeat. */
  running: number;
}

/** The heartbeat part of a flush: the worker, how long its entry lives, and whether it leaves. */
export interface Heartbeat {
  id: string;
  description: WorkerDescription;
  /** When the worker's entry was first written (the reply of its first heartbeat); unknown: read by the script. */
  started: number | undefined;
  /** This beat reaps expired entries and looks at the registry's TTL. */
  reap: boolean;
  ttlMs: number;
  leaving: boolean;
}

/** record-metrics.lua's ARGV for `counts` (and the heartbeat, for the first partition's call). */
export function flushArgs(counts: MetricsCounts, heartbeat: Heartbeat | undefined): Arg[] {
  const args: Arg[] = [
    RING_MINUTES,
    HIST_MINUTES,
    counts.completed,
    counts.retried,
    counts.dead,
    counts.stalled,
    Math.round(counts.limitedMs),
    Math.round(counts.wait.sum),
    Math.round(counts.processing.sum),
    heartbeat?.id ?? '',
    heartbeat
      ? JSON.stringify(heartbeat.started === undefined ? heartbeat.description : { ...heartbeat.description, started: heartbeat.started })
      : '',
    heartbeat?.ttlMs ?? 0,
    heartbeat?.leaving ? '1' : '0',
    heartbeat?.reap ? REAP_MAX : 0,
  ];
  for (let i = 0; i < BUCKETS; i++) args.push(counts.wait.counts[i]!, counts.processing.counts[i]!);
  return args;
}
