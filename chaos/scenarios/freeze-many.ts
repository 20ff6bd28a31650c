// Scenario "freeze-many": jobs of 20–100 ms flow at a steady rate through 3 worker processes
// while random workers are frozen (SIGSTOP) for 1–4.5 s, longer or shorter than their 2 s
// lease, and thawed (SIGCONT). A frozen worker's jobs go to the others once its leases run out;
// its late acks must be refused, and every worker must carry on after its thaw.
import { Fleet, startProducer, type WorkerHandle } from '../lib/fleet.js';
import type { QueueAddress } from '../lib/child-config.js';
import { finish, jitter, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  rate: number;
  freezes: number;
  everyMs: number;
}

const QUICK: Size = { jobs: 3_000, rate: 300, freezes: 4, everyMs: 2_000 };
const FULL: Size = { jobs: 15_000, rate: 500, freezes: 10, everyMs: 2_500 };
const LEASE_MS = 2_000;

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const size = ctx.quick ? QUICK : FULL;
  const params =
    `${size.jobs} jobs (20–100 ms) at ${size.rate}/s; 3 worker processes × concurrency 20, leaseMs ${LEASE_MS}; ` +
    `${size.freezes} SIGSTOPs of random workers every ${size.everyMs} ms ±25 %, each for 1–4.5 s, then SIGCONT`;
  ctx.log(`freeze-many: ${params}`);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: 'freeze-many', recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: 20, leaseMs: LEASE_MS, ignoreAbort: false });
  const frozen = new Set<WorkerHandle>();
  const thaws: Promise<void>[] = [];
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 3 }, () => fleet.start()));
    const producer = startProducer({ ...address, count: size.jobs, firstSeq: 0, rate: size.rate, msMin: 20, msMax: 100 });
    for (let k = 0; k < size.freezes; k++) {
      await sleep(jitter(size.everyMs));
      const awake = fleet.workers.filter((w) => !frozen.has(w));
      // keep one worker awake: the others' jobs must have somewhere to go
      if (awake.length < 2) continue;
      const victim = awake[Math.floor(Math.random() * awake.length)]!;
      await fleet.signal(victim, 'SIGSTOP');
      frozen.add(victim);
      const forMs = 1_000 + Math.floor(Math.random() * 3_500);
      thaws.push(
        sleep(forMs).then(async () => {
          await fleet.signal(victim, 'SIGCONT');
          frozen.delete(victim);
        }),
      );
    }
    await Promise.all(thaws);
    const lastFault = Date.now();
    const { added } = await producer.done;
    const drainedAt = await waitDrained(address, added, LEASE_MS * 3);
    const check = await finish(fleet, address);
    return [
      {
        id: 'freeze-many',
        title: 'SIGSTOP / SIGCONT of random workers under load',
        params,
        check,
        elapsedMs: drainedAt - t0,
        drainAfterLastFaultMs: Math.max(0, drainedAt - lastFault),
        notes: [
          `late acks refused (lost events): ${check.lostEvents}; starts of a job whose completion was already accepted: ` +
            `${check.startsAfterCompletion}`,
        ],
        failures: verdict(check),
      },
    ];
  } finally {
    await Promise.all(thaws);
    await fleet.closeAll();
    await redis.stop();
  }
}

export const freezeMany: Scenario = { id: 'freeze-many', run };
