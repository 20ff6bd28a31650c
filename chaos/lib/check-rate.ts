// The rate-limit check: a group limited to `max` starts per `duration` ms never started more.
// It counts as the limiter does (lua/includes/slidingWindow.lua, called from the lease script):
// a sliding window in Redis time, where each lease is stamped with the script's `now` (the
// job's `po`, also on the start record) and a lease at `now` is allowed while fewer than `max`
// leases have a stamp in (now − duration, now] (ZREMRANGEBYSCORE drops stamps <= now −
// duration). So two leases exactly `duration` apart are in different windows, and the rule is:
// over the group's leases sorted by stamp, po[i + max] − po[i] >= duration for every i. A
// lease is one delivery (one lease token); retries and reclaims count, as in the limiter. A
// lease whose job never started (its worker died with it in hand) is not in the history; the
// soak kills no worker, and under a limit workers lease no jobs ahead (docs/flow-control.md).
import type { HistoryRecord } from './history.js';

export interface RateResult {
  leases: number;
  /** Leases that were the (max + 1)th within one window. */
  violations: number;
  /** The most leases seen in any window (a window ending at a lease). */
  maxInWindow: number;
  /** Leases that filled their window (the max-th in it): how often the limit bound. */
  windowsFull: number;
  examples: string[];
}

export function checkRateLimit(records: HistoryRecord[], group: string, max: number, duration: number): RateResult {
  const stamps = new Map<string, number>();
  for (const r of records) {
    if (r.k !== 'start' || (r.g ?? 'default') !== group) continue;
    stamps.set(`${r.id}/${r.tk}`, r.po);
  }
  const po = [...stamps.values()].sort((a, b) => a - b);
  const result: RateResult = { leases: po.length, violations: 0, maxInWindow: 0, windowsFull: 0, examples: [] };
  let lo = 0;
  for (let i = 0; i < po.length; i++) {
    // leases in (po[i] − duration, po[i]]: po is sorted, so a pointer moves up from the left
    while (po[lo]! <= po[i]! - duration) lo++;
    // later leases at the same ms are in this window too
    let hi = i;
    while (hi + 1 < po.length && po[hi + 1] === po[i]) hi++;
    const n = hi - lo + 1;
    result.maxInWindow = Math.max(result.maxInWindow, n);
    if (i - lo + 1 === max) result.windowsFull++;
    if (i - lo + 1 > max) {
      result.violations++;
      if (result.examples.length < 10) {
        result.examples.push(`rate limit: ${n} leases of group ${group} within ${duration} ms ending at ${po[i]} (max ${max})`);
      }
    }
  }
  return result;
}
