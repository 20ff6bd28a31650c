// Scenario "partition": every worker and the producer reach Redis through a TCP proxy
// (test/helpers/proxy.ts); the runner's own reads go direct. During work the proxy partitions
// them from Redis for 10 s, longer than the 5 s lease, then heals: as a black hole (bytes held
// both ways, nothing answered, delivered at the heal), or by closing every connection and
// refusing new ones. Nothing may be lost, no worker may die, a second start must follow the
// partition, and every worker must complete jobs again after the heal.
import { startProxy } from '../../test/helpers/proxy.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import type { QueueAddress } from '../lib/child-config.js';
import { clearHistory, type HistoryRecord } from '../lib/history.js';
import { recoveryAfter, recoveryText, stallNote, waitForWork } from '../lib/redis-faults.js';
import { finish, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  rate: number;
  startMs: number;
}

/** The producer adds until a few seconds after the heal, so every worker has work after it. */
const QUICK: Size = { jobs: 5_200, rate: 400, startMs: 500 };
const FULL: Size = { jobs: 40_000, rate: 2_000, startMs: 3_000 };
const PARTITION_MS = 10_000;
const LEASE_MS = 5_000;
const WORKERS = 4;
/** Faults start `startMs` after this many jobs completed (the processes took their time to boot). */
const WORK_FIRST = 200;

type Mode = 'blackhole' | 'refuse';

async function variant(ctx: ScenarioContext, mode: Mode): Promise<ScenarioOutcome> {
  const size = ctx.quick ? QUICK : FULL;
  const how =
    mode === 'blackhole'
      ? 'black-holes every connection (open and new: bytes held both ways, delivered at the heal)'
      : 'closes every connection and refuses new ones';
  const params =
    `${size.jobs} jobs (0–5 ms) at ${size.rate}/s; ${WORKERS} worker processes × concurrency 20, leaseMs ${LEASE_MS}; ` +
    `workers and producer connect through a TCP proxy that, ${size.startMs} ms after ${WORK_FIRST} jobs completed, ${how} ` +
    `for ${PARTITION_MS} ms, then heals`;
  const id = mode === 'blackhole' ? 'partition-freeze' : 'partition-drop';
  ctx.log(`${id}: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const redis = await startQueueRedis();
  const proxy = await startProxy(redis.port);
  // the runner reads direct; the children go through the proxy
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: id, recorderUrl: ctx.recorderUrl };
  const children = { ...address, url: proxy.url };
  const fleet = new Fleet(ctx.history, { ...children, concurrency: 20, leaseMs: LEASE_MS, ignoreAbort: false });
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: WORKERS }, () => fleet.start()));
    const producer = startProducer({ ...children, count: size.jobs, firstSeq: 0, rate: size.rate, msMin: 0, msMax: 5 });
    await waitForWork(address, WORK_FIRST);
    await sleep(size.startMs);
    const from = Date.now();
    if (mode === 'blackhole') proxy.blackhole();
    else proxy.refuse();
    await sleep(PARTITION_MS);
    proxy.heal();
    const healed = Date.now();
    await ctx.history.write({ k: 'fault', what: 'partition', pid: 0, t: from, until: healed, note: mode });
    await ctx.history.write({ k: 'fault', what: 'heal', pid: 0, t: healed });
    const pids = fleet.workers.map((w) => w.pid);
    const { added, rejected } = await producer.done;
    ctx.log(`${id}: ${added} adds acknowledged, ${rejected} rejected; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, LEASE_MS * 3);
    let records: HistoryRecord[] = [];
    const check = await finish(fleet, address, (r) => {
      records = r.records;
    });
    const recovery = recoveryAfter(records, [healed], pids);
    const during = (k: 'reject' | 'error' | 'stalled') => records.filter((r) => r.k === k && r.t >= from && r.t <= healed + 1_000).length;
    const notes = [
      `after the heal: ${recoveryText(recovery)}`,
      `adds rejected: ${rejected} (${during('reject')} during the partition or within 1 s of the heal); ` +
        `worker error events: ${check.workerErrors} (${during('error')} then)`,
      `jobs run again after their lease ran out: ${check.duplicatesExplained}; lost events ${check.lostEvents} ` +
        `(the result stored anyway: ${check.lostEventsWithStoredResult}); ` +
        `starts after an accepted completion ${check.startsAfterCompletion}; adds that became two jobs: ${check.duplicateAdds}`,
    ];
    notes.push(...stallNote(records));
    const failures = verdict(check);
    if (recovery[0]?.all === undefined) failures.push('a worker completed nothing after the heal');
    return {
      id,
      title: mode === 'blackhole' ? 'Network partition as a black hole, 10 s' : 'Network partition that drops connections, 10 s',
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - healed,
      notes,
      failures,
    };
  } finally {
    await fleet.closeAll();
    await proxy.close();
    await redis.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  return [await variant(ctx, 'blackhole'), await variant(ctx, 'refuse')];
}

export const partition: Scenario = { id: 'partition', run };
