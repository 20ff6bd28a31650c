// Scenario "freeze-worker": worker A runs long jobs whose processor ignores its abort signal;
// A is frozen (SIGSTOP) for longer than its lease while worker B runs, then thawed (SIGCONT).
// B must take A's jobs over, A's late acks must all be refused (0 stale completions), and A
// must be healthy afterwards: it runs some of the new jobs added after the thaw.
import { clearHistory, readHistory } from '../lib/history.js';
import { Fleet, startProducer, type WorkerHandle } from '../lib/fleet.js';
import type { QueueAddress } from '../lib/child-config.js';
import { finish, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

const LEASE_MS = 2_000;
const HELD = 5; // jobs A holds when it is frozen (its concurrency)
const JOB_MS = 1_500;
const AFTER = 40; // short jobs added after the thaw

/** Polls the history until `pred` holds for `n` records, or the timeout. */
async function waitRecords(url: string, n: number, pred: (r: Awaited<ReturnType<typeof readHistory>>[number]) => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await readHistory(url)).filter(pred).length >= n) return true;
    await sleep(100);
  }
  return false;
}

async function round(ctx: ScenarioContext, stopMs: number): Promise<ScenarioOutcome> {
  const params =
    `worker A (concurrency ${HELD}, leaseMs ${LEASE_MS}) runs ${HELD} jobs of ${JOB_MS} ms that ignore the abort signal; ` +
    `A is SIGSTOPped for ${stopMs} ms while worker B (concurrency ${HELD}) runs; then ${AFTER} jobs of 20 ms are added`;
  ctx.log(`freeze-worker: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: `freeze-${stopMs}`, recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: HELD, leaseMs: LEASE_MS, ignoreAbort: true });
  try {
    const t0 = Date.now();
    const a: WorkerHandle = await fleet.start();
    const first = await startProducer({ ...address, count: HELD, firstSeq: 0, rate: 0, msMin: JOB_MS, msMax: JOB_MS }).done;
    if (!(await waitRecords(ctx.recorderUrl, HELD, (r) => r.k === 'start' && r.pid === a.pid, 10_000))) {
      throw new Error(`worker A did not start its ${HELD} jobs`);
    }
    await fleet.signal(a, 'SIGSTOP');
    const stoppedAt = Date.now();
    await fleet.start(); // B
    await sleep(stopMs);
    await fleet.signal(a, 'SIGCONT');
    const thawedAt = Date.now();
    const refusedInTime = await waitRecords(ctx.recorderUrl, HELD, (r) => r.k === 'lost' && r.pid === a.pid, 10_000);
    const second = await startProducer({ ...address, count: AFTER, firstSeq: HELD, rate: 0, msMin: 20, msMax: 20 }).done;
    const drainedAt = await waitDrained(address, first.added + second.added, LEASE_MS * 3);
    const check = await finish(fleet, address);
    const records = await readHistory(ctx.recorderUrl);
    const frozen = new Set(records.flatMap((r) => (r.k === 'start' && r.pid === a.pid && r.t < stoppedAt ? [r.id] : [])));
    const lateAcks = records.filter((r) => r.k === 'done' && r.pid === a.pid && frozen.has(r.id)).length;
    const refused = records.filter((r) => r.k === 'lost' && r.pid === a.pid && frozen.has(r.id)).length;
    const ranAfter = records.filter((r) => r.k === 'done' && r.pid === a.pid && r.t > thawedAt && !frozen.has(r.id)).length;
    const notes = [
      `late acks of A for the ${frozen.size} frozen jobs: ${refused} refused (lost events), ${lateAcks} accepted`,
      `after SIGCONT, A completed ${ranAfter} of the ${AFTER} new jobs`,
    ];
    const failures = verdict(check);
    if (!refusedInTime) failures.push(`A reported ${refused} of ${frozen.size} lost leases within 10 s of SIGCONT`);
    if (lateAcks > 0) failures.push(`${lateAcks} late acks of the frozen worker accepted`);
    return {
      id: `freeze-worker-${stopMs / 1000}s`,
      title: `SIGSTOP of a worker for ${stopMs / 1000} s (past its ${LEASE_MS / 1000} s lease), then SIGCONT`,
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - thawedAt,
      notes,
      failures,
    };
  } finally {
    await fleet.closeAll();
    await redis.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const stopMs of ctx.quick ? [4_000] : [4_000, 8_000, 15_000]) outcomes.push(await round(ctx, stopMs));
  return outcomes;
}

export const freezeWorker: Scenario = { id: 'freeze-worker', run };
