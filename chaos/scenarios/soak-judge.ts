// The checks of the soak scenario, read once the run is over: the usual check (lost, stale,
// duplicates) per consumer group on that group's records, with the ends of jobs removed by
// retention taken from the history; fan-out (every job finished in every group); lateness of
// delayed jobs and scheduler slots; the schedulers' slots; the rate limit of the limited
// group; and whether memory stayed flat once retention was reached.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, type CheckResult } from '../lib/check.js';
import { checkFanOut } from '../lib/check-fanout.js';
import { checkLate } from '../lib/check-late.js';
import { checkRateLimit } from '../lib/check-rate.js';
import { checkSchedulers } from '../lib/check-schedulers.js';
import type { QueueAddress } from '../lib/child-config.js';
import { readFinalStates, type FinalJob } from '../lib/final-state.js';
import { groupRecords, isSchedulerJob, withHistoryEnds } from '../lib/history-views.js';
import { readHistory } from '../lib/history.js';
import { flatness, type MemorySample } from '../lib/memory.js';
import { verdict } from './common.js';

export interface SoakPlan {
  groups: string[];
  limited: { group: string; max: number; duration: number };
  /** Scheduler key -> every (ms). */
  schedulers: Map<string, number>;
  lateToleranceMs: number;
  warmUpMs: number;
  /** Flat: the end within this share (and slack) of the samples after warm-up. */
  redisGrowth: number;
  redisSlack: number;
  rssGrowth: number;
  rssSlack: number;
}

export interface SoakJudgement {
  /** The default group's usual check (the scenario's row in the table). */
  check: CheckResult;
  notes: string[];
  failures: string[];
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export async function judgeSoak(address: QueueAddress, plan: SoakPlan, samples: MemorySample[]): Promise<SoakJudgement> {
  const records = await readHistory(address.recorderUrl);
  // CHAOS_DUMP=dir: keep the raw history, as common.ts finish() does for the other scenarios
  const dump = process.env.CHAOS_DUMP;
  if (dump) {
    mkdirSync(dump, { recursive: true });
    writeFileSync(join(dump, `${address.queue}.json`), JSON.stringify(records));
  }
  const ids = new Set<string>();
  for (const r of records) if (r.k === 'add' || (r.k === 'start' && isSchedulerJob(r.id))) ids.add(r.id);
  const finals = new Map<string, Map<string, FinalJob>>();
  const notes: string[] = [];
  const failures: string[] = [];
  let main: CheckResult | undefined;
  const otherExamples: string[] = [];
  for (const group of plan.groups) {
    const read = await readFinalStates(address.url, address.prefix, address.queue, [...ids], {}, group);
    const { finals: ended, fromHistory } = withHistoryEnds(records, read, group);
    finals.set(group, ended);
    const c = check(groupRecords(records, group, false), ended);
    for (const f of verdict(c)) failures.push(`group ${group}: ${f}`);
    notes.push(
      `group ${group}: ${c.acked} added, completed ${c.completed}; ${fromHistory} jobs (scheduler jobs included) ended per the ` +
        `history, their records removed by retention; ` +
        `dead-lettered ${c.deadLettered}, lost ${c.lost}; ${c.starts} starts, ${c.retries} retries, duplicates ` +
        `${c.duplicatesExplained} explained / ${c.duplicatesUnexplained} unexplained`,
    );
    if (group === plan.groups[0]) main = c;
    else otherExamples.push(...c.examples.map((e) => `group ${group}: ${e}`));
  }
  if (!main) throw new Error('soak: no group checked');

  const fan = checkFanOut(records, finals);
  for (const g of fan.groups) {
    notes.push(
      `fan-out, group ${g.group}: ${g.finished} of ${fan.jobs} jobs finished, ${g.missed} missed, ${g.completedTwice} completed twice`,
    );
    if (g.missed > 0) failures.push(`${g.missed} jobs never reached group ${g.group}`);
    if (g.completedTwice > 0) failures.push(`${g.completedTwice} jobs completed twice in group ${g.group}`);
  }

  const late = checkLate(groupRecords(records, plan.groups[0]!), plan.lateToleranceMs);
  notes.push(
    `lateness (delayed jobs and scheduler slots, group ${plan.groups[0]}, lease − due in Redis time): ${late.checked} jobs, ` +
      `p50 ${late.p50} ms, p99 ${late.p99} ms, max ${late.max} ms (beyond the plain jobs' wait at the time: at most ` +
      `${late.maxBeyondBacklog} ms); early ${late.early}, late beyond the plain jobs' wait + ${plan.lateToleranceMs} ms ${late.late}`,
  );
  if (late.early > 0) failures.push(`${late.early} jobs leased before they were due`);
  if (late.late > 0) failures.push(`${late.late} jobs leased more than ${plan.lateToleranceMs} ms after due, beyond the plain jobs' wait`);

  const sched = checkSchedulers(records, plan.schedulers, plan.groups[0]);
  for (const k of sched.keys) notes.push(`scheduler ${k.key} (every ${plan.schedulers.get(k.key)} ms): ${k.slots} slots ran`);
  notes.push(
    `scheduler slots skipped ${sched.skipped}, missed by a catch-up after a late fire ${sched.caughtUp}, ` +
      `off the grid ${sched.offGrid}, completed twice ${sched.twice}`,
  );
  if (sched.keys.some((k) => k.slots < 2)) failures.push('a scheduler ran fewer than 2 slots');
  if (sched.skipped + sched.offGrid + sched.twice > 0)
    failures.push(`scheduler slots wrong: ${sched.skipped + sched.offGrid + sched.twice}`);

  const { group, max, duration } = plan.limited;
  const rate = checkRateLimit(records, group, max, duration);
  notes.push(
    `rate limit of group ${group} (${max} per ${duration} ms, sliding): ${rate.leases} leases, most in one window ${rate.maxInWindow}, ` +
      `leases that filled their window ${rate.windowsFull}, over the limit ${rate.violations}`,
  );
  if (rate.violations > 0) failures.push(`${rate.violations} leases over the rate limit of group ${group}`);
  if (rate.windowsFull === 0) failures.push(`the rate limit of group ${group} never bound: the check proved nothing`);

  const redis = flatness(samples, (s) => s.redis, plan.warmUpMs, plan.redisGrowth, plan.redisSlack);
  const rss = flatness(samples, (s) => s.rss, plan.warmUpMs, plan.rssGrowth, plan.rssSlack);
  for (const [name, f, growth, slack] of [
    ['redis used_memory', redis, plan.redisGrowth, plan.redisSlack],
    ['worker RSS (sum)', rss, plan.rssGrowth, plan.rssSlack],
  ] as const) {
    notes.push(
      `${name}: first ${mib(f.first)}, after warm-up ${mib(f.base)}, last ${mib(f.end)}, max ${mib(f.max)} ` +
        `(${samples.length} samples; flat: last 3 ≤ first 3 after warm-up × ${1 + growth} + ${mib(slack)}: ${f.flat ? 'yes' : 'NO'})`,
    );
    if (!f.flat) failures.push(`${name} grew after warm-up: ${mib(f.base)} → ${mib(f.end)}`);
  }
  const listed = samples.map((s) => `${Math.round(s.at / 1000)}: ${mib(s.redis)} / ${mib(s.rss)}`);
  notes.push(`memory samples (s: redis / worker RSS): ${listed.join(', ')}`);
  main.examples.push(...otherExamples, ...fan.examples, ...late.examples, ...sched.examples, ...rate.examples);
  return { check: main, notes, failures };
}
