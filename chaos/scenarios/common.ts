// What every scenario does the same way: a fresh queue redis-server, waiting for the queue to
// drain, and the end of a run: stop the workers, read the history and the end state, check,
// and judge (lost jobs, stale completions and unexplained duplicates fail the run).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from '../../src/index.js';
import { startRedis, type TestRedis } from '../../src/testing/index.js';
import { pino } from 'pino';
import { check, type CheckResult } from '../lib/check.js';
import { readFinalStates, type FinalJob } from '../lib/final-state.js';
import { readHistory, type HistoryRecord } from '../lib/history.js';
import type { Fleet } from '../lib/fleet.js';
import { connectionOf, spreadOf, type QueueAddress } from '../lib/child-config.js';

/**
 * A private redis-server for the queue; `aof`: append-only with that fsync policy; `dir`: its
 * data directory (the runner's own, to reach the AOF files), instead of one the starter makes.
 */
export function startQueueRedis(aof?: 'everysec' | 'always', dir?: string): Promise<TestRedis> {
  const args = [...(aof ? ['--appendfsync', aof] : []), ...(dir ? ['--dir', dir] : [])];
  return startRedis({ url: null, persistent: aof !== undefined, args });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Waits until nothing is waiting, delayed or active and at least `expected` jobs finished, or
 * until nothing moved for `stuckMs` (jobs lost from Redis never finish). Resolves with the
 * time (Date.now()) the last job finished, as far as the polling (100 ms) can tell.
 */
export async function waitDrained(address: QueueAddress, expected: number, stuckMs: number): Promise<number> {
  const queue = new Queue(address.queue, {
    connection: connectionOf(address),
    ...spreadOf(address),
    prefix: address.prefix,
    logger: pino({ level: 'silent' }),
  });
  try {
    let last = '';
    let lastChange = Date.now();
    for (;;) {
      try {
        const c = await queue.getJobCounts();
        const finished = c.completed + c.failed;
        const key = `${finished}/${c.waiting}/${c.active}/${c.delayed}`;
        if (key !== last) {
          last = key;
          lastChange = Date.now();
        }
        if (finished >= expected && c.waiting + c.active + c.delayed === 0) return lastChange;
      } catch {
        // Redis restarting: keep polling
      }
      if (Date.now() - lastChange > stuckMs) return lastChange;
      await sleep(100);
    }
  } finally {
    await queue.close().catch(() => undefined);
  }
}

/** What a scenario's run left: the history, and the final state of every job added. */
export interface RunRecord {
  records: HistoryRecord[];
  finals: Map<string, FinalJob>;
}

/**
 * Closes the workers, then checks the history against the queue's end state; `more` sees the
 * same history and states, for a scenario's own checks (read once).
 */
export async function finish(fleet: Fleet, address: QueueAddress, more?: (run: RunRecord) => void): Promise<CheckResult> {
  // each worker's last records are in the recorder when it has exited: it QUITs its recorder
  // connection (answered after every earlier RPUSH) before it exits, and closeAll awaits the exits
  await fleet.closeAll();
  const records = await readHistory(address.recorderUrl);
  // CHAOS_DUMP=dir: keep each scenario's raw history, to look into a failure
  const dump = process.env.CHAOS_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    writeFileSync(join(dump, `${address.queue}.json`), JSON.stringify(records));
  }
  const ids = records.flatMap((r) => (r.k === 'add' ? [r.id] : []));
  const finals = await readFinalStates(address.url, address.prefix, address.queue, ids, address);
  more?.({ records, finals });
  return check(records, finals);
}

/** The run fails on a lost job (unless `lossTolerated`), a stale completion or an unexplained duplicate. */
export function verdict(c: CheckResult, opts: { lossTolerated?: boolean } = {}): string[] {
  const failures: string[] = [];
  if (c.lost > 0 && !opts.lossTolerated) failures.push(`${c.lost} acknowledged jobs lost`);
  if (c.staleAcks > 0) failures.push(`${c.staleAcks} stale acks accepted`);
  if (c.staleResults > 0) failures.push(`${c.staleResults} stale results stored`);
  if (c.duplicatesUnexplained > 0) failures.push(`${c.duplicatesUnexplained} unexplained duplicate starts`);
  if (c.workersDied > 0) failures.push(`${c.workersDied} worker processes died on their own`);
  if (c.acked === 0) failures.push('no job was added: the scenario did not run');
  return failures;
}

/** A random number in [ms × (1 − spread), ms × (1 + spread)]. */
export function jitter(ms: number, spread = 0.25): number {
  return Math.round(ms * (1 - spread + 2 * spread * Math.random()));
}

/**
 * SIGKILLs a random worker every `everyMs` (±25 %), `kills` times, starting a replacement at once
 * (it boots while the next interval runs, so kills keep to the schedule); a kill while every
 * worker is still booting is skipped. Resolves when the replacements are up, with the time of
 * the last kill (`since` when none was made).
 */
export async function killOnSchedule(fleet: Fleet, kills: number, everyMs: number, since: number): Promise<number> {
  let lastFault = since;
  const replacements: Promise<unknown>[] = [];
  for (let k = 0; k < kills; k++) {
    await sleep(jitter(everyMs));
    const victim = fleet.workers[Math.floor(Math.random() * fleet.workers.length)];
    if (!victim) continue;
    await fleet.signal(victim, 'SIGKILL');
    lastFault = Date.now();
    replacements.push(fleet.start());
  }
  await Promise.all(replacements);
  return lastFault;
}
