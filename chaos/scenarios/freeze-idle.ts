// Scenario "freeze-idle" (the fault plan's 2c): worker A, idle and blocked in its wake read
// (BZPOPMIN), is frozen (SIGSTOP) for a short time and for longer than its fetch watchdog
// (blockMs 5 s + watchdogGraceMs 5 s), then thawed (SIGCONT), while work arrives: jobs are added
// during the freeze (worker B runs them, but the first wake goes to A's read, answered while A
// cannot act on it) and right after the thaw. Nothing may be lost, no ack may be stale, and A must
// block again and run some of the jobs added after the thaw: its wake read must not be dead.
import { pino } from 'pino';
import { Queue } from '../../src/index.js';
import type { ChaosJobData, QueueAddress } from '../lib/child-config.js';
import { Fleet, type WorkerHandle } from '../lib/fleet.js';
import { clearHistory, readHistory, type HistoryWriter } from '../lib/history.js';
import { finish, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import { ClientList } from './client-list.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

const LEASE_MS = 5_000;
const CONCURRENCY = 5;
const JOB_MS = 20;
/** A job is added every this often while A is frozen. */
const DURING_EVERY_MS = 250;
/** Jobs added at once right after the thaw (the fault plan's 20). */
const AFTER = 20;
/** The worker's fetch watchdog with the default options: blockMs + watchdogGraceMs. */
const WATCHDOG_MS = 10_000;

/** Adds jobs from the runner's own process (timed to the freeze), recording each acknowledged add. */
class Adder {
  private readonly queue: Queue<ChaosJobData>;
  private seq = 0;

  constructor(
    address: QueueAddress,
    private readonly history: HistoryWriter,
  ) {
    this.queue = new Queue<ChaosJobData>(address.queue, {
      connection: address.url,
      prefix: address.prefix,
      defaultJobOptions: { removeOnComplete: false, removeOnFail: false },
      logger: pino({ level: 'silent' }),
    });
  }

  /** Adds `n` jobs at once; resolves with their ids and the time of the first add. */
  async add(n: number): Promise<{ ids: string[]; at: number }> {
    const at = Date.now();
    const ids = await Promise.all(
      Array.from({ length: n }, async () => {
        const seq = this.seq++;
        const job = await this.queue.add('chaos', { seq, ms: JOB_MS });
        await this.history.write({ k: 'add', id: job.id, seq, pid: process.pid, t: Date.now() });
        return job.id;
      }),
    );
    return { ids, at };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

async function round(ctx: ScenarioContext, stopMs: number): Promise<ScenarioOutcome> {
  const params =
    `idle workers A and B (concurrency ${CONCURRENCY}, leaseMs ${LEASE_MS}, blockMs 5000, watchdog ${WATCHDOG_MS / 1000} s); ` +
    `A, blocked in its wake read, is SIGSTOPped for ${stopMs} ms; a job of ${JOB_MS} ms is added every ${DURING_EVERY_MS} ms ` +
    `meanwhile; after SIGCONT, once A blocks again, ${AFTER} jobs are added at once`;
  ctx.log(`freeze-idle: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: `freeze-idle-${stopMs}`, recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: CONCURRENCY, leaseMs: LEASE_MS, ignoreAbort: false });
  const adder = new Adder(address, ctx.history);
  const clients = new ClientList(redis.url);
  let thaw: Promise<void> | undefined;
  try {
    const t0 = Date.now();
    // A blocks in its wake read, then B: A's read is first in line for a wake (or, if it timed out
    // and blocked again meanwhile, second: B, once woken, blocks again behind it)
    const a: WorkerHandle = await fleet.start();
    const before = await clients.untilBlocked(a.pid, 20_000);
    const b = await fleet.start();
    if (!before || !(await clients.untilBlocked(b.pid, 20_000))) throw new Error('worker A or B never blocked in its wake read');
    await fleet.signal(a, 'SIGSTOP');
    const stoppedAt = Date.now();
    thaw = sleep(stopMs).then(() => fleet.signal(a, 'SIGCONT'));
    const during: string[] = [];
    while (Date.now() + DURING_EVERY_MS < stoppedAt + stopMs) {
      during.push(...(await adder.add(1)).ids);
      await sleep(DURING_EVERY_MS);
    }
    // Redis answered A's read while A was frozen (a wake it took, or the read's block timeout)
    const frozenRead = await clients.wakeRead(a.pid);
    await thaw;
    const thawedAt = Date.now();
    // A back in its wake read, on the same connection or on a new one (the watchdog reset it)
    const after = await clients.untilBlocked(a.pid, 20_000);
    const blockedAgainMs = Date.now() - thawedAt;
    const late = await adder.add(AFTER);
    const drainedAt = await waitDrained(address, during.length + AFTER, LEASE_MS * 3);
    const check = await finish(fleet, address);
    const records = await readHistory(ctx.recorderUrl);
    const firstStart = new Map<string, { t: number; pid: number }>();
    const lastDone = new Map<string, number>();
    for (const r of records) {
      if (r.k === 'start' && !firstStart.has(r.id)) firstStart.set(r.id, { t: r.t, pid: r.pid });
      if (r.k === 'done') lastDone.set(r.id, r.t);
    }
    const addedAt = new Map(records.flatMap((r) => (r.k === 'add' ? [[r.id, r.t] as const] : [])));
    const waits = during.map((id) => (firstStart.get(id)?.t ?? Number.NaN) - (addedAt.get(id) ?? Number.NaN));
    const byA = during.filter((id) => firstStart.get(id)?.pid === a.pid).length;
    const lateByA = late.ids.filter((id) => records.some((r) => r.k === 'done' && r.id === id && r.pid === a.pid)).length;
    const lateDoneMs = Math.max(...late.ids.map((id) => (lastDone.get(id) ?? Number.NaN) - late.at));
    const reset = after !== undefined && after.id !== before.id;
    const notes = [
      `A's wake read was answered while A was frozen (a wake A could not act on, or the read's timeout): ` +
        `${frozenRead?.blocked === false ? 'yes' : 'no'}`,
      `${during.length} jobs added during the freeze: ${during.length - byA} run by B, ${byA} by A after its thaw; ` +
        `add to start p50 ${median(waits)} ms, max ${Math.max(...waits)} ms`,
      after
        ? `A blocked again ${blockedAgainMs} ms after SIGCONT, ` +
          `on ${reset ? 'a new connection (the watchdog reset it)' : 'the same connection'}`
        : 'A did not block again within 20 s of SIGCONT',
      `the ${AFTER} jobs added after the thaw all completed ${Number.isNaN(lateDoneMs) ? 'never' : `${lateDoneMs} ms`} after the add; ` +
        `A ran ${lateByA}`,
    ];
    const failures = verdict(check);
    if (!after) failures.push('A did not go back to its wake read after SIGCONT');
    if (lateByA === 0) failures.push(`A ran none of the ${AFTER} jobs added after its thaw`);
    return {
      id: `freeze-idle-${stopMs / 1000}s`,
      title: `SIGSTOP of an idle worker for ${stopMs / 1000} s${stopMs > WATCHDOG_MS ? ' (past its fetch watchdog)' : ''}, then SIGCONT`,
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - thawedAt,
      notes,
      failures,
    };
  } finally {
    await thaw?.catch(() => undefined);
    await adder.close().catch(() => undefined);
    clients.close();
    await fleet.closeAll();
    await redis.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const stopMs of ctx.quick ? [11_000] : [3_000, 15_000]) outcomes.push(await round(ctx, stopMs));
  return outcomes;
}

export const freezeIdle: Scenario = { id: 'freeze-idle', run };
