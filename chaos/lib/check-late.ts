// The lateness check: a delayed job or a scheduler's slot must not be leased before it is due,
// nor later than the group's own queueing delay at that moment plus a tolerance. Times are
// Redis time: the due time is on the start record (`due`: the add's timestamp + delay, or the
// slot), the lease time is `po` (when Redis leased the delivery; a leased-ahead job may start
// later in its worker, which the queue does not control). The queueing delay (backlog) at a
// lease is the longest wait, lease − add, of the plain jobs (no due time) the group leased in
// the second before it: when the whole group falls behind (a CPU starved by other processes),
// due jobs wait with everything else, and that is no fault of the schedule; a due job waiting
// well beyond what plain jobs waited is (it was promoted late). Redis runs on this machine,
// so its time and the add records' wall clock agree. Only a job's first attempt counts: a
// retry is due after its backoff, which the history does not hold. Early starts fail the run
// (invariant 4), late ones too; the raw lateness percentiles are reported.
import type { HistoryRecord } from './history.js';

export interface LateResult {
  /** Jobs with a due time whose first attempt started. */
  checked: number;
  /** Leased before due. */
  early: number;
  /** Leased more than toleranceMs after due, beyond the group's backlog at that moment. */
  late: number;
  /** Lateness (lease − due, ms) of the checked jobs: p50, p99, max; and the largest beyond the backlog. */
  p50: number;
  p99: number;
  max: number;
  maxBeyondBacklog: number;
  examples: string[];
}

/** How far back from a due job's lease the plain jobs' waits are taken as the backlog. */
const BACKLOG_WINDOW_MS = 1_000;

export function checkLate(records: HistoryRecord[], toleranceMs: number): LateResult {
  // the earliest lease of each job's first attempt
  const first = new Map<string, { po: number; due: number }>();
  const added = new Map<string, number>();
  const plainFirst = new Map<string, number>();
  for (const r of records) {
    if (r.k === 'add') added.set(r.id, r.t);
    if (r.k !== 'start' || r.a > 0) continue;
    if (r.due === undefined) {
      plainFirst.set(r.id, Math.min(plainFirst.get(r.id) ?? Infinity, r.po));
      continue;
    }
    const seen = first.get(r.id);
    if (!seen || r.po < seen.po) first.set(r.id, { po: r.po, due: r.due });
  }
  // plain jobs' waits, by lease time
  const waits: { po: number; wait: number }[] = [];
  for (const [id, po] of plainFirst) {
    const t = added.get(id);
    if (t !== undefined) waits.push({ po, wait: Math.max(0, po - t) });
  }
  waits.sort((a, b) => a.po - b.po);
  const backlogAt = (po: number): number => {
    let lo = 0;
    let hi = waits.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (waits[mid]!.po < po - BACKLOG_WINDOW_MS) lo = mid + 1;
      else hi = mid;
    }
    let most = 0;
    for (let i = lo; i < waits.length && waits[i]!.po <= po; i++) most = Math.max(most, waits[i]!.wait);
    return most;
  };
  const result: LateResult = { checked: first.size, early: 0, late: 0, p50: 0, p99: 0, max: 0, maxBeyondBacklog: 0, examples: [] };
  const lateness: number[] = [];
  for (const [id, { po, due }] of first) {
    const ms = po - due;
    lateness.push(ms);
    if (ms < 0) {
      result.early++;
      if (result.examples.length < 10) result.examples.push(`early: job ${id} leased ${-ms} ms before it was due`);
      continue;
    }
    const backlog = backlogAt(po);
    const beyond = ms - backlog;
    result.maxBeyondBacklog = Math.max(result.maxBeyondBacklog, beyond);
    if (beyond > toleranceMs) {
      result.late++;
      if (result.examples.length < 10)
        result.examples.push(`late: job ${id} leased ${ms} ms after it was due (plain jobs waited ${backlog} ms)`);
    }
  }
  lateness.sort((a, b) => a - b);
  const at = (p: number) => lateness[Math.min(lateness.length - 1, Math.floor(p * lateness.length))] ?? 0;
  result.p50 = at(0.5);
  result.p99 = at(0.99);
  result.max = lateness.at(-1) ?? 0;
  return result;
}
