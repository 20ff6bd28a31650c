// The histograms sluice records (wait time and processing time of jobs): their fixed bucket
// bounds, counting a value into them, adding them up, and estimating a percentile from them.
// Pure functions: nothing here talks to Redis.

/**
 * Upper bounds (ms, inclusive) of the histogram buckets; one more bucket counts the values above
 * the last (Prometheus `le="+Inf"`). Fixed: the totals and rings in Redis are laid out by them.
 */
export const BUCKET_BOUNDS_MS: readonly number[] = [
  5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 1_800_000,
];

/** Buckets per histogram: one per bound, and the overflow. */
export const BUCKETS = BUCKET_BOUNDS_MS.length + 1;

/** A histogram: per-bucket (not cumulative) counts and the sum of the values (ms). */
export interface Histogram {
  /** Count per bucket, BUCKETS long; bucket i holds values in (bound[i-1], bound[i]]. */
  counts: number[];
  /** Sum of the values counted (ms). */
  sum: number;
}

/** An empty histogram. */
export function emptyHistogram(): Histogram {
  return { counts: new Array<number>(BUCKETS).fill(0), sum: 0 };
}

/** The bucket a value (ms) falls in. */
export function bucketOf(ms: number): number {
  let i = 0;
  while (i < BUCKET_BOUNDS_MS.length && ms > BUCKET_BOUNDS_MS[i]!) i++;
  return i;
}

/** Counts `ms` (clamped at 0, rounded to whole ms) into `h`. */
export function observe(h: Histogram, ms: number): void {
  const value = Math.max(0, Math.round(ms));
  h.counts[bucketOf(value)]!++;
  h.sum += value;
}

/** Adds `from` into `into`. */
export function addHistogram(into: Histogram, from: Histogram): void {
  for (let i = 0; i < BUCKETS; i++) into.counts[i]! += from.counts[i] ?? 0;
  into.sum += from.sum;
}

/** How many values `h` counted. */
export function histogramCount(h: Histogram): number {
  let n = 0;
  for (const c of h.counts) n += c;
  return n;
}

/**
 * The `q` quantile (0 < q < 1) estimated from the buckets, interpolating linearly inside the
 * bucket it falls in (as Prometheus' histogram_quantile does); a value in the overflow bucket
 * is reported as the last bound. Undefined for an empty histogram.
 */
export function quantile(h: Histogram, q: number): number | undefined {
  const total = histogramCount(h);
  if (total === 0) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    const c = h.counts[i]!;
    if (c > 0 && seen + c >= rank) {
      const upper = BUCKET_BOUNDS_MS[i];
      if (upper === undefined) return BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : BUCKET_BOUNDS_MS[i - 1]!;
      return lower + (upper - lower) * ((rank - seen) / c);
    }
    seen += c;
  }
  return BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.length - 1]!;
}
