// The scheduler check: each slot of a repeating job ({ every } ms) makes exactly one job, id
// repeat:<key>:<slot ms> (docs/scheduling.md), so per key: the slots that ran (started in the
// group checked) must be first, first + every, first + 2 × every, … up to the last one that
// ran, with none off that grid, none completed twice (two accepted acks of a slot's job), and
// none skipped, but for a catch-up: a slot fired after the next one was due makes one job for
// the slots missed (docs/scheduling.md, "After downtime"), so a slot skipped is explained when
// the slot before it was fired (its job's timestamp, `ts` on the start record) at or after the
// skipped slot. Slots after the last one that ran (fired when the run stopped, or not yet
// due) are not judged.
import type { HistoryRecord } from './history.js';

export interface SchedulerResult {
  /** Per key: slots that ran, from the first to the last (ms, Redis time). */
  keys: { key: string; slots: number; first: number; last: number }[];
  /** Slots between a key's first and last that never ran, with no catch-up to explain them. */
  skipped: number;
  /** Slots missed by a catch-up: already due when the slot before them was fired late. */
  caughtUp: number;
  /** Slots not on the key's grid (first + k × every). */
  offGrid: number;
  /** Slots whose job had more than one accepted completion. */
  twice: number;
  examples: string[];
}

/** Parses repeat:<key>:<slot> (the key may hold colons). */
export function parseSlot(id: string): { key: string; slot: number } | undefined {
  if (!id.startsWith('repeat:')) return undefined;
  const cut = id.lastIndexOf(':');
  const slot = Number(id.slice(cut + 1));
  return cut > 7 && Number.isFinite(slot) ? { key: id.slice(7, cut), slot } : undefined;
}

/** `every`: each scheduler key checked, with its period (ms); `group`: whose starts count. */
export function checkSchedulers(records: HistoryRecord[], every: Map<string, number>, group = 'default'): SchedulerResult {
  const slots = new Map<string, Set<number>>();
  const fired = new Map<string, number>();
  const acks = new Map<string, number>();
  for (const r of records) {
    if ((r.k !== 'start' && r.k !== 'done') || (r.g ?? 'default') !== group) continue;
    const parsed = parseSlot(r.id);
    if (!parsed || !every.has(parsed.key)) continue;
    if (r.k === 'done') acks.set(r.id, (acks.get(r.id) ?? 0) + 1);
    else {
      slots.set(parsed.key, (slots.get(parsed.key) ?? new Set()).add(parsed.slot));
      if (r.ts !== undefined) fired.set(r.id, r.ts);
    }
  }
  const result: SchedulerResult = { keys: [], skipped: 0, caughtUp: 0, offGrid: 0, twice: 0, examples: [] };
  const example = (line: string) => {
    if (result.examples.length < 10) result.examples.push(line);
  };
  for (const [key, period] of every) {
    const ran = [...(slots.get(key) ?? [])].sort((a, b) => a - b);
    const first = ran[0];
    const last = ran.at(-1);
    if (first === undefined || last === undefined) {
      result.keys.push({ key, slots: 0, first: 0, last: 0 });
      continue;
    }
    result.keys.push({ key, slots: ran.length, first, last });
    const set = new Set(ran);
    for (const slot of ran) {
      if ((slot - first) % period !== 0) {
        result.offGrid++;
        example(`scheduler ${key}: slot ${slot} is not on the grid of ${period} ms from ${first}`);
      }
    }
    let before = first;
    for (let slot = first; slot <= last; slot += period) {
      if (set.has(slot)) {
        before = slot;
        continue;
      }
      const firedAt = fired.get(`repeat:${key}:${before}`);
      if (firedAt !== undefined && firedAt >= slot) {
        result.caughtUp++;
        continue;
      }
      result.skipped++;
      example(`scheduler ${key}: slot ${slot} never ran (the slot before it, ${before}, was fired at ${firedAt ?? 'an unknown time'})`);
    }
  }
  for (const [id, n] of acks) {
    if (n < 2) continue;
    result.twice++;
    example(`scheduler job ${id} completed ${n} times`);
  }
  return result;
}
