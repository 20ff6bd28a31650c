// What the failover scenarios (cluster-failover, sentinel-failover) share: the two variants
// (replication asynchronous, or the producers' adds WAITed for a replica), the figures read
// from the history around a fault (how long until jobs completed again, the longest pause), and
// the notes and verdict of a variant.
import { pino } from 'pino';
import { type DurabilityOptions, Queue } from '../../src/index.js';
import type { CheckResult } from '../lib/check.js';
import { connectionOf, spreadOf, type QueueAddress } from '../lib/child-config.js';
import type { HistoryRecord } from '../lib/history.js';
import { type Fleet, type ProducerHandle, startProducer } from '../lib/fleet.js';
import { sleep, verdict } from './common.js';

export interface Variant {
  /** The id's suffix and the title's words. */
  name: 'async' | 'durable';
  durability: DurabilityOptions | undefined;
}

/**
 * The two variants of a master that has `replicas` replicas. The durable one waits for all of
 * them: WAIT confirms that many replicas have a write, and a failover is only sure to keep it
 * when the replica promoted is one of them. Sentinel ranks replicas by the replication offset it
 * last read from each, which can be older than the kill (docs/production.md, Durability).
 */
export function variantsFor(replicas: number): Variant[] {
  return [
    { name: 'async', durability: undefined },
    { name: 'durable', durability: { replicas, timeoutMs: 1000 } },
  ];
}

/**
 * Waits until `count` jobs completed: the faults must hit a queue at work, and on a busy
 * machine the child processes take seconds to boot. Throws after `timeoutMs`.
 */
export async function waitCompleted(address: QueueAddress, count: number, timeoutMs: number): Promise<void> {
  const queue = new Queue(address.queue, {
    connection: connectionOf(address),
    ...spreadOf(address),
    prefix: address.prefix,
    logger: pino({ level: 'silent' }),
  });
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await queue.getJobCounts()).completed < count) {
      if (Date.now() > deadline) throw new Error(`${address.queue}: fewer than ${count} jobs completed after ${timeoutMs} ms`);
      await sleep(100);
    }
  } finally {
    await queue.close().catch(() => undefined);
  }
}

/** The times of the accepted completions (`done` records) of the jobs `inScope` takes, sorted. */
export function completionTimes(records: HistoryRecord[], inScope: (id: string) => boolean = () => true): number[] {
  return records.flatMap((r) => (r.k === 'done' && inScope(r.id) ? [r.t] : [])).sort((a, b) => a - b);
}

/** ms from a fault's start `at` to the first time in `times` after it ended (`end`): how long until work resumed. */
export function resumedAfter(times: number[], at: number, end: number): number | undefined {
  const next = times.find((t) => t > end);
  return next === undefined ? undefined : next - at;
}

/** The longest gap between two completions in `times` that ends in [from, to]. */
export function longestGap(times: number[], from: number, to: number): number {
  let gap = 0;
  for (let i = 1; i < times.length; i++) {
    if (times[i]! < from) continue;
    if (times[i]! > to) break;
    gap = Math.max(gap, times[i]! - times[i - 1]!);
  }
  return gap;
}

/** The variant's words in a title. */
export function modeTitle(v: Variant): string {
  return v.durability ? `durable adds (WAIT ${v.durability.replicas} replica)` : 'asynchronous replication';
}

export const ms = (v: number | undefined): string => (v === undefined ? 'none' : `${v} ms`);

const SPLIT_BRAIN = 'reported, not judged: the sentinels also failed over on their own, away from a master still up (a split brain)';

/** The rejected adds of a run by error class ("RedisUnavailableError 12, ReplicationTimeoutError 3"), or "none". */
export function rejectsByClass(records: HistoryRecord[]): string {
  const counts = new Map<string, number>();
  for (const r of records) if (r.k === 'reject') counts.set(r.cls ?? '?', (counts.get(r.cls ?? '?') ?? 0) + 1);
  return [...counts].map(([cls, n]) => `${cls} ${n}`).join(', ') || 'none';
}

/**
 * The notes every failover variant reports: losses (judged only with the durable mode, and not
 * after a split brain), rejects (by error class, from the run's `records`), re-runs.
 */
export function failoverNotes(variant: Variant, c: CheckResult, records: HistoryRecord[], splitBrain = false): string[] {
  const judged = splitBrain ? SPLIT_BRAIN : variant.durability ? 'judged: must be 0' : 'reported, not judged: replication is asynchronous';
  return [
    `stale acks accepted ${c.staleAcks} (${c.staleAcksAfterRollback} after a rollback undid the newer lease), ` +
      `stale results stored ${c.staleResults} (${splitBrain ? SPLIT_BRAIN : 'judged: must be 0'})`,
    `acknowledged adds lost: ${c.lost} (${judged}); of them had run: ${c.lostAfterRunning}`,
    `adds rejected: ${c.rejected} (${rejectsByClass(records)}); jobs run with no acknowledged add: ${c.unackedJobsRun}; ` +
      `adds that became two jobs: ${c.duplicateAdds}`,
    `starts after an accepted completion (completions rolled back or re-run): ${c.startsAfterCompletion}; ` +
      `lost events ${c.lostEvents} (the result stored anyway: ${c.lostEventsWithStoredResult}); worker error events ${c.workerErrors}`,
  ];
}

/**
 * Lost acknowledged adds fail only the durable variant; stale acks and unexplained duplicates
 * fail both. After a split brain (two masters taking writes at once: no fencing token or WAIT
 * holds across them, docs/production.md) losses and stale acks are reported only.
 */
export function failoverVerdict(variant: Variant, c: CheckResult, splitBrain = false): string[] {
  const failures = verdict(c, { lossTolerated: variant.durability === undefined || splitBrain });
  return splitBrain ? failures.filter((f) => !f.includes('stale')) : failures;
}

/** The load of a failover run: `workers` worker processes, then `producers` producers sharing `jobs` at `rate` (0–5 ms jobs). */
export async function startLoad(
  fleet: Fleet,
  address: QueueAddress,
  size: { workers: number; producers: number; jobs: number; rate: number },
  v: Variant,
): Promise<ProducerHandle[]> {
  await Promise.all(Array.from({ length: size.workers }, () => fleet.start()));
  const share = Math.ceil(size.jobs / size.producers);
  return Array.from({ length: size.producers }, (_, i) =>
    startProducer({
      ...address,
      count: share,
      firstSeq: i * share,
      rate: size.rate / size.producers,
      msMin: 0,
      msMax: 5,
      ...(v.durability ? { durability: v.durability } : {}),
    }),
  );
}
