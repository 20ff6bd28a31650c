// Scenario "kill-backlog" (the fault plan's 1b): every job is added before any worker starts, so
// the workers drain a full backlog at their own pace, leasing ahead as far as they may; meanwhile
// a random worker is SIGKILLed about every second and a new one started in its place. Jobs a
// killed worker had leased ahead wait out their lease and run elsewhere. Nothing acknowledged may
// be lost, every second start must be explained by a kill, and no superseded ack accepted.
// The kills are spread over the drain whatever the machine's speed: kill k of K comes once k/(K+1)
// of the backlog has completed, and at least `everyMs` (±25 %) after the one before.
import { pino } from 'pino';
import { Queue } from '../../src/index.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import type { QueueAddress, WorkerChildConfig } from '../lib/child-config.js';
import { finish, jitter, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  workers: number;
  concurrency: number;
  leaseMs: number;
  kills: number;
  everyMs: number;
}

const QUICK: Size = { jobs: 5_000, workers: 4, concurrency: 20, leaseMs: 3_000, kills: 5, everyMs: 1_000 };
const FULL: Size = { jobs: 100_000, workers: 4, concurrency: 20, leaseMs: 5_000, kills: 20, everyMs: 1_000 };

/**
 * Kills a random ready worker (and starts one in its place, not awaited) each time another
 * 1/(kills + 1) of `total` jobs has completed and `everyMs` ±25 % has passed since the last kill,
 * until `drained` says the queue is empty. Resolves once the replacements are up, with the time
 * of the last kill (`since` when none was made).
 */
async function killWhileDraining(fleet: Fleet, address: QueueAddress, size: Size, total: number, since: number, drained: () => boolean) {
  const queue = new Queue(address.queue, { connection: address.url, prefix: address.prefix, logger: pino({ level: 'silent' }) });
  let lastFault = since;
  const replacements: Promise<unknown>[] = [];
  const completed = async () => (await queue.getJobCounts().catch(() => undefined))?.completed ?? 0;
  try {
    for (let k = 1; k <= size.kills && !drained(); k++) {
      const threshold = Math.floor((total * k) / (size.kills + 1));
      const notBefore = lastFault + jitter(size.everyMs);
      while (!drained() && (Date.now() < notBefore || (await completed()) < threshold)) await sleep(50);
      const victim = fleet.workers[Math.floor(Math.random() * fleet.workers.length)];
      if (drained() || !victim) continue; // every worker still booting: no kill this time
      await fleet.signal(victim, 'SIGKILL');
      lastFault = Date.now();
      replacements.push(fleet.start());
    }
    await Promise.all(replacements);
  } finally {
    await queue.close().catch(() => undefined);
  }
  return lastFault;
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const size = ctx.quick ? QUICK : FULL;
  const params =
    `${size.jobs} jobs (0–5 ms) all added before the workers start; ${size.workers} worker processes × concurrency ` +
    `${size.concurrency}, leaseMs ${size.leaseMs}; ${size.kills} SIGKILLs of a random worker (each replaced) spread over ` +
    `the drain: kill k once k/${size.kills + 1} of the jobs completed, at least ${size.everyMs} ms ±25 % after the last`;
  ctx.log(`kill-backlog: ${params}`);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: 'kill-backlog', recorderUrl: ctx.recorderUrl };
  const config: WorkerChildConfig = { ...address, concurrency: size.concurrency, leaseMs: size.leaseMs, ignoreAbort: false };
  const fleet = new Fleet(ctx.history, config);
  try {
    const addStart = Date.now();
    // rate 0: as fast as Redis acknowledges them, with no worker running
    const { added, rejected } = await startProducer({ ...address, count: size.jobs, firstSeq: 0, rate: 0, msMin: 0, msMax: 5 }).done;
    const addMs = Date.now() - addStart;
    ctx.log(`kill-backlog: ${added} adds acknowledged (${rejected} rejected) in ${(addMs / 1000).toFixed(1)} s; starting the workers`);
    const t0 = Date.now();
    await Promise.all(Array.from({ length: size.workers }, () => fleet.start()));
    let drained = false;
    // a replacement can take 10 s to boot on a loaded host: only a longer standstill means stuck
    const drain = waitDrained(address, added, Math.max(size.leaseMs * 3, 30_000)).then((at) => {
      drained = true;
      return at;
    });
    const lastFault = await killWhileDraining(fleet, address, size, added, t0, () => drained);
    const drainedAt = await drain;
    const elapsedMs = drainedAt - t0;
    const check = await finish(fleet, address);
    const kills = check.faults.sigkill ?? 0;
    const failures = verdict(check);
    if (kills === 0) failures.push('no worker was killed while the backlog drained: the scenario showed nothing');
    return [
      {
        id: 'kill-backlog',
        title: 'SIGKILL of worker processes while they drain a backlog',
        params,
        check,
        elapsedMs,
        drainAfterLastFaultMs: drainedAt - lastFault,
        notes: [
          `backlog of ${added} jobs added in ${(addMs / 1000).toFixed(1)} s (${Math.round((added / addMs) * 1000)} adds/s), ` +
            'no worker running',
          `${kills} of ${size.kills} kills came while the backlog drained; backlog worked off in ${(elapsedMs / 1000).toFixed(1)} s ` +
            `from the first worker's start (${Math.round((check.completed / elapsedMs) * 1000)} jobs/s)`,
          `jobs run again after their holder was killed (leased ahead or running): ${check.explainedBy.sigkill ?? 0}`,
        ],
        failures,
      },
    ];
  } finally {
    await fleet.closeAll();
    await redis.stop();
  }
}

export const killBacklog: Scenario = { id: 'kill-backlog', run };
