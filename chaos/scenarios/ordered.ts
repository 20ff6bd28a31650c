// Scenario "ordered": jobs with an ordering key over many keys, random failures with retries
// (attempts 3, fixed backoff), and SIGKILLs of random worker processes with restarts. Besides
// the usual checks (nothing lost, no stale completion, no unexplained duplicate), no job may be
// leased before the previous job of its key finished for good.
import { checkOrder, type OrderResult } from '../lib/check-order.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import type { QueueAddress } from '../lib/child-config.js';
import { finish, killOnSchedule, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  keys: number;
  rate: number;
  workers: number;
  kills: number;
  everyMs: number;
}

const QUICK: Size = { jobs: 5_000, keys: 100, rate: 1_000, workers: 3, kills: 3, everyMs: 1_500 };
const FULL: Size = { jobs: 50_000, keys: 500, rate: 2_000, workers: 3, kills: 5, everyMs: 3_500 };
const LEASE_MS = 3_000;
const FAIL_RATE = 0.1;

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const size = ctx.quick ? QUICK : FULL;
  const params =
    `${size.jobs} jobs (0–5 ms) with orderingKey over ${size.keys} keys at ${size.rate}/s; ${size.workers} worker processes × ` +
    `concurrency 20, leaseMs ${LEASE_MS}; ${FAIL_RATE * 100} % of attempts fail, attempts 3, fixed backoff 50 ms; ` +
    `${size.kills} SIGKILLs of random workers every ${size.everyMs} ms ±25 %, each replaced`;
  ctx.log(`ordered: ${params}`);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: 'ordered', recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: 20, leaseMs: LEASE_MS, ignoreAbort: false, failRate: FAIL_RATE });
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: size.workers }, () => fleet.start()));
    const producer = startProducer({
      ...address,
      count: size.jobs,
      firstSeq: 0,
      rate: size.rate,
      msMin: 0,
      msMax: 5,
      keys: size.keys,
      attempts: 3,
      backoffMs: 50,
    });
    const lastFault = await killOnSchedule(fleet, size.kills, size.everyMs, t0);
    const { added } = await producer.done;
    const drainedAt = await waitDrained(address, added, LEASE_MS * 3);
    let order: OrderResult | undefined;
    const check = await finish(fleet, address, ({ records, finals }) => {
      order = checkOrder(records, finals);
    });
    if (!order) throw new Error('ordered: no order check ran');
    const failures = verdict(check);
    if (order.violations > 0) failures.push(`${order.violations} order violations`);
    check.examples.push(...order.examples);
    return [
      {
        id: 'ordered',
        title: 'ordered jobs with random failures and retries, SIGKILL of worker processes',
        params,
        check,
        elapsedMs: drainedAt - t0,
        drainAfterLastFaultMs: drainedAt - lastFault,
        notes: [
          `order violations (a job leased before the previous job of its key finished for good): ${order.violations} ` +
            `over ${order.keys} keys`,
          `dead-lettered after 3 failed attempts: ${check.deadLettered} (about ${Math.round(added * FAIL_RATE ** 3)} expected); ` +
            `retries ${check.retries}`,
        ],
        failures,
      },
    ];
  } finally {
    await fleet.closeAll();
    await redis.stop();
  }
}

export const ordered: Scenario = { id: 'ordered', run };
