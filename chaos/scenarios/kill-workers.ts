// Scenario "kill-workers": a producer adds jobs at a steady rate while 4 worker processes run
// them; every couple of seconds a random worker is SIGKILLed and a new one started in its
// place. Nothing acknowledged may be lost, every second start must be explained by a kill,
// and no ack of a superseded delivery may be accepted.
import { Fleet, startProducer } from '../lib/fleet.js';
import type { QueueAddress, WorkerChildConfig } from '../lib/child-config.js';
import { finish, killOnSchedule, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  rate: number;
  workers: number;
  concurrency: number;
  leaseMs: number;
  kills: number;
  everyMs: number;
}

const QUICK: Size = { jobs: 10_000, rate: 1_000, workers: 4, concurrency: 20, leaseMs: 3_000, kills: 5, everyMs: 1_500 };
const FULL: Size = { jobs: 100_000, rate: 2_400, workers: 4, concurrency: 20, leaseMs: 5_000, kills: 20, everyMs: 2_000 };

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const size = ctx.quick ? QUICK : FULL;
  const params =
    `${size.jobs} jobs (0–5 ms) added at ${size.rate}/s; ${size.workers} worker processes × concurrency ${size.concurrency}, ` +
    `leaseMs ${size.leaseMs}; a random worker SIGKILLed and replaced every ${size.everyMs} ms ±25 %, ${size.kills} kills`;
  ctx.log(`kill-workers: ${params}`);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: 'kill', recorderUrl: ctx.recorderUrl };
  const config: WorkerChildConfig = { ...address, concurrency: size.concurrency, leaseMs: size.leaseMs, ignoreAbort: false };
  const fleet = new Fleet(ctx.history, config);
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: size.workers }, () => fleet.start()));
    const producer = startProducer({ ...address, count: size.jobs, firstSeq: 0, rate: size.rate, msMin: 0, msMax: 5 });
    const lastFault = await killOnSchedule(fleet, size.kills, size.everyMs, 0);
    const { added, rejected } = await producer.done;
    ctx.log(`kill-workers: ${added} adds acknowledged, ${rejected} rejected; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, size.leaseMs * 3);
    const elapsedMs = drainedAt - t0;
    const check = await finish(fleet, address);
    return [
      {
        id: 'kill-workers',
        title: 'SIGKILL of worker processes, with restarts',
        params,
        check,
        elapsedMs,
        drainAfterLastFaultMs: drainedAt - lastFault,
        notes: [`throughput ${Math.round((check.completed / elapsedMs) * 1000)} jobs/s over the whole run`],
        failures: verdict(check),
      },
    ];
  } finally {
    await fleet.closeAll();
    await redis.stop();
  }
}

export const killWorkers: Scenario = { id: 'kill-workers', run };
