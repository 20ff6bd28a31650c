// What each kind of injected fault can explain, for the checker (chaos/lib/check.ts): a
// duplicate start is explained only by a fault that hit the earlier holder while its lease ran.
import type { FaultKind, HistoryRecord } from './history.js';

type Fault = Extract<HistoryRecord, { k: 'fault' }>;

/**
 * Faults that hit one process (`pid`): a SIGKILL or SIGSTOP, a cut of that process's own link to
 * Redis, or a stall of its event loop it recorded itself (chaos/worker.ts): a process too busy
 * to renew or ack in time loses its lease like a frozen one. The report counts each kind apart.
 */
export const PROCESS_FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>(['sigkill', 'sigstop', 'link-cut', 'stall']);

/**
 * Faults that hit every client of the queue's Redis at once: Redis killed, connections killed,
 * clients paused, the network partitioned, a failover or a slot migration, a clock jump.
 */
export const LINK_FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>([
  'redis-kill',
  'client-kill',
  'client-pause',
  'partition',
  'failover',
  'reshard',
  'clock-skew',
  'oom',
]);

/** Faults that may undo writes Redis had acknowledged (an unsynced AOF tail, a replica behind its master). */
export const ROLLBACK_FAULTS: ReadonlySet<FaultKind> = new Set<FaultKind>(['redis-kill', 'failover']);

/** Whether fault `f` hit process `pid` (a process fault of that pid, or any link fault). */
export function faultHits(f: Fault, pid: number): boolean {
  return (PROCESS_FAULTS.has(f.what) && f.pid === pid) || LINK_FAULTS.has(f.what);
}

/** Whether fault `f` can explain the same delivery starting twice (a write rolled back). */
export function mayRollBack(f: Fault): boolean {
  return ROLLBACK_FAULTS.has(f.what);
}
