// The checker: reads a scenario's history against the queue's end state and counts what went
// wrong. Lost: an acknowledged add that is neither completed nor dead-lettered at the end.
// Duplicate start: a job started again other than as a retry (a start that follows a failed
// attempt: more attemptsMade); explained when the earlier holder was SIGKILLed or SIGSTOPped
// (or Redis was killed) during that lease and the later start shows more stalls. Stale
// completion: an accepted ack, or the stored result, of a delivery older than one that had
// already started. See chaos/README.md.
import type { FinalJob } from './final-state.js';
import { faultHits, mayRollBack, PROCESS_FAULTS } from './faults.js';
import type { FaultKind, HistoryRecord } from './history.js';

type Start = Extract<HistoryRecord, { k: 'start' }>;
type Fault = Extract<HistoryRecord, { k: 'fault' }>;

export interface CheckResult {
  /** Adds the producers saw acknowledged, and rejected. */
  acked: number;
  rejected: number;
  completed: number;
  deadLettered: number;
  /** Acknowledged adds neither completed nor dead-lettered at the end. */
  lost: number;
  /** Of the lost jobs, those that had started at least once (their add and run were rolled back). */
  lostAfterRunning: number;
  starts: number;
  retries: number;
  duplicatesExplained: number;
  duplicatesUnexplained: number;
  /** Accepted acks (`completed` events) of a delivery older than one that had started before. */
  staleAcks: number;
  /**
   * Acks that would be stale but for a Redis rollback (a kill that cut the AOF, a failover to a
   * replica behind) between the newer delivery's start and the ack: the rollback undid that
   * delivery's lease, so Redis rightly took the older one's ack. Reported, not judged.
   */
  staleAcksAfterRollback: number;
  /** Completed jobs whose stored result comes from an older delivery than the latest started. */
  staleResults: number;
  /** Starts after the job's completion had been accepted (a worker running a finished job). */
  startsAfterCompletion: number;
  /** `lost` events, and those of them whose own result is the one stored (the ack did land). */
  lostEvents: number;
  lostEventsWithStoredResult: number;
  /**
   * Jobs that ran although no add of theirs was acknowledged: an add Redis applied whose reply
   * was lost, then sent again (adds are at least once), or an add reported rejected that ran.
   */
  unackedJobsRun: number;
  /** Sequence numbers that ran under more than one job id: one add() that became two jobs. */
  duplicateAdds: number;
  /** Completed jobs with no start record (the history missed one). */
  completedWithoutStart: number;
  workerErrors: number;
  /** Worker processes that ended without being killed or closed by the runner. */
  workersDied: number;
  faults: Partial<Record<FaultKind, number>>;
  /** Explained duplicate starts, by the kind of fault that explains them. */
  explainedBy: Partial<Record<FaultKind, number>>;
  /** ms from a worker fault to the next start of a job it held: p50 and max. */
  redeliveryMs: { n: number; p50: number; max: number } | undefined;
  /** A few examples of each problem, for the report. */
  examples: string[];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/**
 * A fault that explains the holder of `s1` losing the job before `s2` started: it came (or
 * lasted) while that lease ran (from when Redis leased delivery `s1`, which may be before its
 * start, to `s2`), it hit that holder (chaos/lib/faults.ts), and it is of a kind `kind` allows
 * (any fault in that window that can explain it, not the first one: a stall of the holder
 * cannot explain a rollback that a later Redis kill does).
 */
function explainingFault(faults: Fault[], s1: Start, s2: Start, kind: (f: Fault) => boolean = () => true): Fault | undefined {
  const leased = Math.min(s1.po || s1.t, s1.t);
  return faults.find((f) => (f.until ?? f.t) >= leased - 5 && f.t <= s2.t && faultHits(f, s1.pid) && kind(f));
}

/** A result with every figure at zero (a scenario that checks no history fills in what it counts). */
export function emptyCheck(): CheckResult {
  return {
    acked: 0,
    rejected: 0,
    completed: 0,
    deadLettered: 0,
    lost: 0,
    lostAfterRunning: 0,
    starts: 0,
    retries: 0,
    duplicatesExplained: 0,
    duplicatesUnexplained: 0,
    staleAcks: 0,
    staleAcksAfterRollback: 0,
    staleResults: 0,
    startsAfterCompletion: 0,
    lostEvents: 0,
    lostEventsWithStoredResult: 0,
    unackedJobsRun: 0,
    duplicateAdds: 0,
    completedWithoutStart: 0,
    workerErrors: 0,
    workersDied: 0,
    faults: {},
    explainedBy: {},
    redeliveryMs: undefined,
    examples: [],
  };
}

export function check(records: HistoryRecord[], finals: Map<string, FinalJob>): CheckResult {
  const starts = new Map<string, Start[]>();
  const dones = new Map<string, Extract<HistoryRecord, { k: 'done' }>[]>();
  const faults: Fault[] = [];
  const lostEvents: Extract<HistoryRecord, { k: 'lost' }>[] = [];
  const acked: string[] = [];
  const r = emptyCheck();
  const example = (line: string) => {
    if (r.examples.length < 20) r.examples.push(line);
  };
  for (const rec of records) {
    if (rec.k === 'add') acked.push(rec.id);
    else if (rec.k === 'reject') r.rejected++;
    else if (rec.k === 'start') {
      r.starts++;
      const list = starts.get(rec.id) ?? [];
      list.push(rec);
      starts.set(rec.id, list);
    } else if (rec.k === 'done') {
      const list = dones.get(rec.id) ?? [];
      list.push(rec);
      dones.set(rec.id, list);
    } else if (rec.k === 'fault') {
      faults.push(rec);
      r.faults[rec.what] = (r.faults[rec.what] ?? 0) + 1;
    } else if (rec.k === 'lost') lostEvents.push(rec);
    else if (rec.k === 'error') r.workerErrors++;
    else if (rec.k === 'died') {
      r.workersDied++;
      example(`worker ${rec.pid} died on its own (${rec.signal ?? `exit code ${rec.code}`})`);
    }
  }
  r.acked = acked.length;

  for (const id of acked) {
    const state = finals.get(id)?.state;
    if (state === 'completed') r.completed++;
    else if (state === 'failed') r.deadLettered++;
    else {
      r.lost++;
      example(`lost: job ${id} acknowledged, at the end ${state ?? 'gone'}`);
    }
  }

  const redelivery: number[] = [];
  for (const [id, list] of starts) {
    // in the order they happened: after a Redis rollback the delivery counter can go back (a job
    // delivered twice before a crash is delivered again as its first delivery after it)
    list.sort((a, b) => a.t - b.t || a.d - b.d);
    for (let i = 1; i < list.length; i++) {
      const s1 = list[i - 1]!;
      const s2 = list[i]!;
      // s1's attempt failed (Redis counted it): s2 is its retry, whatever became of the
      // deliveries in between that never started (leased ahead by a worker that was killed)
      if (s2.d > s1.d && s2.a > s1.a) {
        r.retries++;
        continue;
      }
      // the same delivery again (or an earlier one) can only come from a Redis rollback; a new one needs a stall
      const again = s2.d <= s1.d;
      let fault = explainingFault(faults, s1, s2, again ? mayRollBack : undefined);
      let explained = fault !== undefined && (again || s2.st > s1.st);
      if (!explained && s2.d < s1.d) {
        // or an earlier delivery started late: its process froze between leasing and starting it,
        // its lease ran out meanwhile and another worker took the job over (s1)
        const leased = s2.po || s2.t;
        const frozen = faults.find((f) => PROCESS_FAULTS.has(f.what) && f.pid === s2.pid && (f.until ?? f.t) >= leased - 5 && f.t <= s2.t);
        if (frozen) [fault, explained] = [frozen, true];
      }
      if (explained && fault) {
        r.duplicatesExplained++;
        r.explainedBy[fault.what] = (r.explainedBy[fault.what] ?? 0) + 1;
        if (PROCESS_FAULTS.has(fault.what)) redelivery.push(s2.t - fault.t);
      } else {
        r.duplicatesUnexplained++;
        example(
          `unexplained duplicate: job ${id} delivery ${s1.d} (pid ${s1.pid}, stalls ${s1.st}) then ${s2.d} ` +
            `(pid ${s2.pid}, stalls ${s2.st}) ${s2.t - s1.t} ms later`,
        );
      }
    }
    const latestD = list[list.length - 1]!.d; // the delivery Redis knows last (a rollback can lower it)
    const jobDones = dones.get(id) ?? [];
    for (const done of jobDones) {
      // stale: a newer lease of the job started after the acked one (by its token) and before the
      // ack. Newer by its delivery number; a lower number is newer only across a Redis rollback
      // (which can take the counter back). An earlier delivery started late (its process froze
      // between leasing and starting it) leased before the acked one: its start supersedes nothing.
      const own = list.filter((s) => s.tk === done.tk && s.t <= done.t).at(-1);
      const supersedes = (s: Start) =>
        s.d > done.d || (own !== undefined && faults.some((f) => mayRollBack(f) && f.t >= own.t - 5 && f.t <= s.t));
      const newer = own ? list.find((s) => s.t > own.t && s.t < done.t && supersedes(s)) : list.find((s) => s.d > done.d && s.t < done.t);
      if (newer && faults.some((f) => mayRollBack(f) && f.t >= newer.t - 5 && f.t <= done.t)) r.staleAcksAfterRollback++;
      else if (newer) {
        r.staleAcks++;
        example(`stale ack accepted: job ${id} delivery ${done.d} (pid ${done.pid}) after delivery ${newer.d} started (pid ${newer.pid})`);
      }
    }
    const firstDone = Math.min(...jobDones.map((d) => d.t));
    r.startsAfterCompletion += list.filter((s) => s.t > firstDone).length;
    const final = finals.get(id);
    if (final?.state === 'completed' && final.result && final.result.delivery < latestD) {
      r.staleResults++;
      example(`stale result stored: job ${id} holds delivery ${final.result.delivery}'s result, delivery ${latestD} had started`);
    }
  }
  for (const id of acked) {
    if (finals.get(id)?.state === 'completed' && !starts.has(id)) r.completedWithoutStart++;
  }
  for (const id of acked)
    if (finals.get(id)?.state !== 'completed' && finals.get(id)?.state !== 'failed' && starts.has(id)) r.lostAfterRunning++;
  const ackedIds = new Set(acked);
  const idsOfSeq = new Map<number, Set<string>>();
  for (const [id, list] of starts) {
    if (!ackedIds.has(id)) r.unackedJobsRun++;
    const seq = list[0]!.seq;
    idsOfSeq.set(seq, (idsOfSeq.get(seq) ?? new Set()).add(id));
  }
  for (const ids of idsOfSeq.values()) if (ids.size > 1) r.duplicateAdds++;
  r.lostEvents = lostEvents.length;
  for (const ev of lostEvents) {
    const result = finals.get(ev.id)?.result;
    if (ev.d !== undefined && result?.delivery === ev.d && result.pid === ev.pid) r.lostEventsWithStoredResult++;
  }
  redelivery.sort((a, b) => a - b);
  if (redelivery.length > 0) r.redeliveryMs = { n: redelivery.length, p50: percentile(redelivery, 0.5), max: redelivery.at(-1)! };
  return r;
}
