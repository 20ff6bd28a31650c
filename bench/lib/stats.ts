// Small statistics for the bench: median and range over repeats, latency percentiles through
// an HDR histogram (values recorded in µs, 3 significant digits), and a seeded hash for the
// pseudo-random delays and priorities.
import * as hdr from 'hdr-histogram-js';

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(values: number[]): Summary | undefined {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0]!, max: v[v.length - 1]!, n: v.length };
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** The smallest value recorded, unclamped (negative: a delayed job started early). */
  minMs: number;
  /** Values below 0 (recorded as 1 µs in the histogram). */
  negatives: number;
}

/** Collects latencies in ms; stores them as integer µs in an HDR histogram. */
export class LatencyRecorder {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  private negatives = 0;
  private min = Infinity;

  record(ms: number): void {
    if (ms < this.min) this.min = ms;
    const us = Math.round(ms * 1000);
    if (us < 1) {
      // cannot be negative on one machine clock; clamp the rounding case, count the rest
      if (us < 0) this.negatives++;
      this.histogram.recordValue(1);
    } else this.histogram.recordValue(us);
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const at = (p: number) => h.getValueAtPercentile(p) / 1000;
    return {
      count: h.totalCount,
      p50Ms: at(50),
      p90Ms: at(90),
      p99Ms: at(99),
      maxMs: h.maxValue / 1000,
      meanMs: h.mean / 1000,
      minMs: this.min,
      negatives: this.negatives,
    };
  }
}

/**
 * A deterministic pseudo-random number in [0, 1) for index `i` (a 32-bit integer hash, the
 * mulberry32 finaliser): the same jobs get the same delays and priorities in every turn and
 * for every library, whatever the order they are added in.
 */
export function unitHash(i: number, seed: number): number {
  let t = (Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(seed, 0xc2b2ae35)) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
