// Scenario "client-faults": Redis itself stays up, but its clients are hit. While a producer
// adds and 4 worker processes run jobs, the runner kills sluice's connections in storms (CLIENT
// KILL every 100–300 ms), or pauses every client (CLIENT PAUSE ALL) for 5 s, twice; the full
// run adds a 15 s pause, longer than the worker's 10 s fetch watchdog, and 5 s pauses under a
// 30 s lease. Nothing may be lost, no worker may die, and a second start must follow a fault.
import { Fleet, startProducer } from '../lib/fleet.js';
import type { QueueAddress } from '../lib/child-config.js';
import { clearHistory, type HistoryRecord } from '../lib/history.js';
import { killStorm, pauseClients, RedisAdmin, recoveryAfter, recoveryText, stallNote, waitForWork } from '../lib/redis-faults.js';
import { finish, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Plan {
  id: string;
  title: string;
  jobs: number;
  rate: number;
  leaseMs: number;
  /** When the first fault comes (after WORK_FIRST jobs completed), and the quiet time between two. */
  startMs: number;
  gapMs: number;
  /** CLIENT KILL storms: how many, each how long. */
  storms?: { count: number; forMs: number };
  /** CLIENT PAUSE ALL: one entry per pause, its length. */
  pauses?: number[];
}

const WORKERS = 4;
/** Faults start `startMs` after this many jobs completed (the processes took their time to boot). */
const WORK_FIRST = 200;
const CONCURRENCY = 20;
/** Each round of a storm kills each sluice connection with this probability (at least one). */
const KILL_SHARE = 0.5;

function quickPlans(): Plan[] {
  return [
    { ...killPlan(), jobs: 8_000, rate: 1_000, startMs: 300, gapMs: 600, storms: { count: 3, forMs: 1_200 } },
    { ...pausePlan('client-pause-5s', 5_000), jobs: 9_000, rate: 600, startMs: 500, gapMs: 1_500 },
  ];
}

function fullPlans(): Plan[] {
  return [
    { ...killPlan(), jobs: 56_000, rate: 2_000, startMs: 1_000, gapMs: 2_000, storms: { count: 5, forMs: 3_000 } },
    { ...pausePlan('client-pause-5s', 5_000), jobs: 48_000, rate: 2_000, startMs: 3_000, gapMs: 7_000 },
    {
      ...pausePlan('client-pause-15s', 5_000),
      title: 'CLIENT PAUSE 15000 ALL, longer than the fetch watchdog (10 s)',
      pauses: [15_000],
      jobs: 40_000,
      rate: 2_000,
      startMs: 2_000,
      gapMs: 0,
    },
    {
      ...pausePlan('client-pause-long-lease', 30_000),
      title: 'CLIENT PAUSE 5000 ALL, twice, with leaseMs 30000',
      jobs: 48_000,
      rate: 2_000,
      startMs: 3_000,
      gapMs: 7_000,
    },
  ];
}

function killPlan(): Plan {
  return {
    id: 'client-kill',
    title: 'CLIENT KILL storms on every sluice connection',
    jobs: 0,
    rate: 0,
    leaseMs: 5_000,
    startMs: 0,
    gapMs: 0,
  };
}

function pausePlan(id: string, leaseMs: number): Plan {
  return { id, title: 'CLIENT PAUSE 5000 ALL, twice', jobs: 0, rate: 0, leaseMs, startMs: 0, gapMs: 0, pauses: [5_000, 5_000] };
}

function describe(p: Plan): string {
  const faults = p.storms
    ? `${p.storms.count} CLIENT KILL storms of ${p.storms.forMs} ms (${p.startMs} ms after ${WORK_FIRST} jobs completed, ` +
      `${p.gapMs} ms apart), each killing every ` +
      `100–300 ms each sluice connection (worker, blocking, producer) with probability ${KILL_SHARE}`
    : `CLIENT PAUSE ${p.pauses!.join(' ms, then ')} ms ALL (${p.startMs} ms after ${WORK_FIRST} jobs completed, ${p.gapMs} ms between)`;
  return (
    `${p.jobs} jobs (0–5 ms) at ${p.rate}/s; ${WORKERS} worker processes × concurrency ${CONCURRENCY}, leaseMs ${p.leaseMs}; ` +
    `${faults}; Redis itself stays up`
  );
}

async function variant(ctx: ScenarioContext, plan: Plan): Promise<ScenarioOutcome> {
  const params = describe(plan);
  ctx.log(`${plan.id}: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const redis = await startQueueRedis();
  const admin = new RedisAdmin(redis.url);
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: plan.id, recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: CONCURRENCY, leaseMs: plan.leaseMs, ignoreAbort: false });
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: WORKERS }, () => fleet.start()));
    const producer = startProducer({ ...address, count: plan.jobs, firstSeq: 0, rate: plan.rate, msMin: 0, msMax: 5 });
    await waitForWork(address, WORK_FIRST);
    await sleep(plan.startMs);
    const ends: number[] = [];
    const stormNotes: string[] = [];
    for (let i = 0; i < (plan.storms?.count ?? 0); i++) {
      if (i > 0) await sleep(plan.gapMs);
      const s = await killStorm(admin, ctx.history, { forMs: plan.storms!.forMs, minMs: 100, maxMs: 300, share: KILL_SHARE });
      ends.push(s.end);
      stormNotes.push(`${s.kills} rounds, ${s.connections} connections`);
    }
    for (const [i, ms] of (plan.pauses ?? []).entries()) {
      if (i > 0) await sleep(plan.gapMs);
      ends.push(await pauseClients(admin, ctx.history, ms));
    }
    const pids = fleet.workers.map((w) => w.pid);
    const { added, rejected } = await producer.done;
    ctx.log(`${plan.id}: ${added} adds acknowledged, ${rejected} rejected; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, Math.max(15_000, plan.leaseMs * 3));
    let records: HistoryRecord[] = [];
    const check = await finish(fleet, address, (r) => {
      records = r.records;
    });
    const recovery = recoveryAfter(records, ends, pids);
    const what = plan.storms ? 'storm' : 'pause';
    const notes = [
      `first completion after each ${what} ended, and when all ${pids.length} workers had completed one: ${recoveryText(recovery)}`,
      `adds rejected: ${rejected}; worker error events: ${check.workerErrors}; lost events ${check.lostEvents} ` +
        `(the result stored anyway: ${check.lostEventsWithStoredResult}); adds that became two jobs: ${check.duplicateAdds}`,
    ];
    if (plan.storms) notes.push(`storms: ${stormNotes.join('; ')}`);
    notes.push(...stallNote(records));
    const failures = verdict(check);
    if (recovery.some((r) => r.all === undefined)) {
      failures.push(`a worker completed nothing after a ${what}`);
      notes.push(...silentAfter(records, ends, pids));
    }
    return {
      id: plan.id,
      title: plan.title,
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - (ends.at(-1) ?? t0),
      notes,
      failures,
    };
  } finally {
    admin.close();
    await fleet.closeAll();
    await redis.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const plan of ctx.quick ? quickPlans() : fullPlans()) outcomes.push(await variant(ctx, plan));
  return outcomes;
}

export const clientFaults: Scenario = { id: 'client-faults', run };

/**
 * For a worker that completed nothing after a fault ended: what it did last (start, done) and its
 * error events from a second before that fault's end, so that the report says where it was stuck.
 */
function silentAfter(records: HistoryRecord[], ends: number[], pids: number[]): string[] {
  const out: string[] = [];
  for (const end of ends) {
    for (const pid of pids) {
      const mine = records.filter((r) => r.pid === pid);
      if (mine.some((r) => r.k === 'done' && r.t >= end)) continue;
      const last = (k: string) => mine.filter((r) => r.k === k).at(-1)?.t;
      const errors = mine.flatMap((r) => (r.k === 'error' && r.t >= end - 1000 ? [`${r.t - end} ms: ${r.err.slice(0, 160)}`] : []));
      out.push(
        `silent worker ${pid} after the fault ending at ${end}: last start ${(last('start') ?? end) - end} ms, last done ` +
          `${(last('done') ?? end) - end} ms (relative to the end); errors: ${errors.join(' | ') || 'none'}`,
      );
    }
  }
  return out;
}
