// Scenario "clock-skew": worker processes and a producer whose wall clocks are minutes ahead of
// or behind the machine's (lib/skew-clock.ts shifts Date.now() and `new Date()`; two workers'
// clocks also step by minutes mid-run, as an NTP step does) run delayed jobs, retries with a
// fixed backoff and jobs longer than their lease. sluice takes due times
// and leases from Redis TIME (invariant 4), so no delayed job or retry may be leased before it
// is due, none late beyond a tolerance, no lease may run out early (no duplicate start at all:
// no process is faulted), and the usual checks hold. Times are compared in Redis time: the
// add records a delayed job's due time, the start record `po`, when Redis leased it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { finishChecked } from '../lib/adjust.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import type { HistoryRecord } from '../lib/history.js';
import type { ClockConfig, QueueAddress } from '../lib/child-config.js';
import { startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  rate: number;
}

const QUICK: Size = { jobs: 400, rate: 80 };
const FULL: Size = { jobs: 3_000, rate: 80 };

const MINUTE = 60_000;
/** Each worker process's clock: minutes ahead and behind; two step by 5 min (forward, back) 4 s after they start. */
const WORKER_CLOCKS: ClockConfig[] = [
  { clockOffsetMs: 10 * MINUTE },
  { clockOffsetMs: -10 * MINUTE },
  { clockOffsetMs: 3 * MINUTE, clockStep: { afterMs: 4_000, byMs: 5 * MINUTE } },
  { clockOffsetMs: -3 * MINUTE, clockStep: { afterMs: 4_000, byMs: -5 * MINUTE } },
];
const PRODUCER_OFFSET = -7 * MINUTE;
/** Ample for the load (80 jobs/s × 0.75 s × 1.25 attempts ≈ 75 busy of 160): lateness then comes from the clocks, not a backlog. */
const CONCURRENCY = 40;
const LEASE_MS = 1_000;
const DELAY_MS_MAX = 2_000;
const MS_MAX = 1_500;
const FAIL_RATE = 0.2;
const ATTEMPTS = 3;
const BACKOFF_MS = 300;
/** A delayed job leased later than this after its due time fails the run. */
const LATE_TOLERANCE_MS = 1_000;

type Start = Extract<HistoryRecord, { k: 'start' }>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** When Redis leased each first delivery vs its due time, and each retry vs its earliest due time. */
function dueFigures(records: HistoryRecord[]) {
  const due = new Map<string, number>();
  const starts = new Map<string, Start[]>();
  for (const r of records) {
    if (r.k === 'add' && r.due !== undefined) due.set(r.id, r.due);
    if (r.k === 'start') starts.set(r.id, [...(starts.get(r.id) ?? []), r]);
  }
  const late: number[] = [];
  const retryGap: number[] = [];
  const early: string[] = [];
  for (const [id, list] of starts) {
    list.sort((a, b) => a.d - b.d || a.t - b.t);
    const first = list[0]!;
    const at = due.get(id);
    if (at !== undefined && first.a === 0) {
      late.push(first.po - at);
      if (first.po < at) early.push(`job ${id} leased ${at - first.po} ms before it was due`);
    }
    // a retry is due BACKOFF_MS after the failure, which came after the failed attempt's lease
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!;
      const next = list[i]!;
      if (next.a <= prev.a) continue;
      retryGap.push(next.po - prev.po);
      if (next.po < prev.po + BACKOFF_MS) early.push(`job ${id} retried ${next.po - prev.po} ms after its failed attempt's lease`);
    }
  }
  late.sort((a, b) => a - b);
  retryGap.sort((a, b) => a - b);
  return { late, retryGap, early };
}

function describe(c: ClockConfig): string {
  const min = (ms: number) => `${ms > 0 ? '+' : ''}${ms / MINUTE} min`;
  return `${min(c.clockOffsetMs ?? 0)}${c.clockStep ? ` stepping ${min(c.clockStep.byMs)} after ${c.clockStep.afterMs / 1000} s` : ''}`;
}

/**
 * Whether the preload shifts a process's Date.now() and `new Date()` by `offsetMs`, measured in
 * a child of its own: each of its readings, less the offset, must fall within the child's run.
 */
function shiftApplies(offsetMs: number): boolean {
  const preload = fileURLToPath(new URL('../lib/skew-clock.js', import.meta.url));
  const before = Date.now();
  const out = execFileSync(
    process.execPath,
    ['--import', preload, '-e', 'console.log(JSON.stringify([Date.now(), new Date().getTime()]))'],
    {
      env: { ...process.env, CHAOS_CLOCK_OFFSET_MS: String(offsetMs) },
      encoding: 'utf8',
    },
  );
  const after = Date.now();
  return (JSON.parse(out) as number[]).every((t) => t - offsetMs >= before && t - offsetMs <= after);
}

/** The duplicate starts (other than retries), by the clock of the process that held the job first. */
function duplicatesByClock(records: HistoryRecord[], clockOf: Map<number, string>): string {
  const starts = new Map<string, Start[]>();
  for (const r of records) if (r.k === 'start') starts.set(r.id, [...(starts.get(r.id) ?? []), r]);
  const counts = new Map<string, number>();
  for (const list of starts.values()) {
    list.sort((a, b) => a.d - b.d || a.t - b.t);
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.a > list[i - 1]!.a) continue;
      const clock = clockOf.get(list[i - 1]!.pid) ?? '?';
      counts.set(clock, (counts.get(clock) ?? 0) + 1);
    }
  }
  return [...counts].map(([clock, n]) => `${n} (${clock})`).join(', ') || 'none';
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const size = ctx.quick ? QUICK : FULL;
  const skews = WORKER_CLOCKS.map(describe).join(', ');
  const params =
    `${size.jobs} jobs (0–${MS_MAX} ms, delay 0–${DELAY_MS_MAX} ms) at ${size.rate}/s by a producer whose clock is ` +
    `${PRODUCER_OFFSET / MINUTE} min off; ${WORKER_CLOCKS.length} worker processes × concurrency ${CONCURRENCY} with clocks ` +
    `${skews}; leaseMs ${LEASE_MS}; ${FAIL_RATE * 100} % of attempts fail, attempts ${ATTEMPTS}, fixed backoff ${BACKOFF_MS} ms`;
  ctx.log(`clock-skew: ${params}`);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: 'skew', recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, {
    ...address,
    concurrency: CONCURRENCY,
    leaseMs: LEASE_MS,
    ignoreAbort: false,
    failRate: FAIL_RATE,
  });
  try {
    const t0 = Date.now();
    const shifted = shiftApplies(PRODUCER_OFFSET);
    const workers = await Promise.all(WORKER_CLOCKS.map((clock) => fleet.start(clock)));
    const producer = startProducer({
      ...address,
      count: size.jobs,
      firstSeq: 0,
      rate: size.rate,
      msMin: 0,
      msMax: MS_MAX,
      delayMsMax: DELAY_MS_MAX,
      attempts: ATTEMPTS,
      backoffMs: BACKOFF_MS,
      clockOffsetMs: PRODUCER_OFFSET,
    });
    const { added, rejected } = await producer.done;
    ctx.log(`clock-skew: ${added} adds acknowledged, ${rejected} rejected; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, 10_000);
    const skewed = [
      ...workers.map((w, i) => [w.pid, WORKER_CLOCKS[i]!] as const),
      [producer.pid, { clockOffsetMs: PRODUCER_OFFSET }] as const,
    ];
    for (const [pid, clock] of skewed) {
      await ctx.history.write({ k: 'fault', what: 'clock-skew', pid, t: t0, until: drainedAt, note: `wall clock ${describe(clock)}` });
    }
    const { check: c, records } = await finishChecked(fleet, address);
    const failures = verdict(c);
    const dups = c.duplicatesExplained + c.duplicatesUnexplained;
    const clockOf = new Map<number, string>(skewed.map(([pid, clock]) => [pid, describe(clock)]));
    const byClock = duplicatesByClock(records, clockOf);
    if (dups > 0) failures.push(`${dups} duplicate starts, first held by clocks ${byClock} (no process was faulted)`);
    const { late, retryGap, early } = dueFigures(records);
    if (early.length > 0) failures.push(`${early.length} early starts (${early.slice(0, 3).join('; ')})`);
    const maxLate = late.at(-1) ?? 0;
    if (maxLate > LATE_TOLERANCE_MS) failures.push(`a delayed job was leased ${maxLate} ms after it was due`);
    if (late.length === 0) failures.push('no delayed job ran');
    // the preload shifts both Date.now() and new Date()
    if (!shifted) failures.push(`the preload did not shift Date.now() and new Date() by ${PRODUCER_OFFSET} ms`);
    // the history holds true times (lib/history.ts takes the shift off): a start's time is near its lease's
    const off = Math.max(0, ...records.flatMap((r) => (r.k === 'start' ? [Math.abs(r.t - r.po)] : [])));
    if (off > 60_000) failures.push(`a start was recorded ${off} ms from its lease: the history has a skewed time`);
    return [
      {
        id: 'clock-skew',
        title: 'Skewed wall clocks of workers and producer (minutes ahead and behind)',
        params,
        check: c,
        elapsedMs: drainedAt - t0,
        drainAfterLastFaultMs: undefined,
        notes: [
          `delayed jobs leased after their due time (Redis time): p50 ${percentile(late, 0.5)} ms, p99 ${percentile(late, 0.99)} ms, ` +
            `max ${maxLate} ms over ${late.length} jobs; early starts ${early.length} (must be 0)`,
          `retries: lease − the failed attempt's lease, p50 ${percentile(retryGap, 0.5)} ms, min ${retryGap[0] ?? 0} ms ` +
            `(at least the ${BACKOFF_MS} ms backoff) over ${retryGap.length} retries`,
          `duplicate starts ${dups} (must be 0); lost events ${c.lostEvents}; ` +
            `stalled ${records.filter((r) => r.k === 'stalled').length}; ` +
            `worker error events ${c.workerErrors}; the preload's shift checked in a child: ${shifted ? 'applied' : 'NOT applied'}; ` +
            `recorded starts within ${off} ms of their lease`,
        ],
        failures,
      },
    ];
  } finally {
    await fleet.closeAll();
    await redis.stop();
  }
}

export const clockSkew: Scenario = { id: 'clock-skew', run };
