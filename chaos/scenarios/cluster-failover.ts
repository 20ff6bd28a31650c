// Scenario "cluster-failover": a partitioned queue on a 3-master Redis Cluster with a replica per
// master (cluster-node-timeout 1 s; test/helpers/cluster.ts), under load from producer and
// worker processes. A master that serves a partition is SIGKILLed, its replica takes the slots
// over, and the killed node is started again (it rejoins as a replica); a partition's slot is
// migrated to another master while work runs (resharding). Two variants: replication
// asynchronous (acknowledged adds and completions lost in the failover are reported, not
// judged) and `durability: { replicas: 1 }` on the producers (no acknowledged add may be lost).
// Stale acks and unexplained duplicates fail both.
import { partitionKeys, partitionOfGeneratedId } from '../../src/partitions/layout.js';
import { startCluster } from '../../test/helpers/cluster.js';
import type { QueueAddress } from '../lib/child-config.js';
import { Fleet } from '../lib/fleet.js';
import { clearHistory, readHistory } from '../lib/history.js';
import { finish, jitter, sleep, waitDrained } from './common.js';
import {
  completionTimes,
  modeTitle,
  failoverNotes,
  rejectsByClass,
  failoverVerdict,
  longestGap,
  resumedAfter,
  ms,
  variantsFor,
  waitCompleted,
  type Variant,
  startLoad,
} from './failover-common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  rate: number;
  producers: number;
  workers: number;
  concurrency: number;
  leaseMs: number;
  partitions: number;
  /** The faults in order: a master SIGKILL or a slot migration. */
  steps: ('kill' | 'reshard')[];
  /** The first fault comes once this many jobs completed. */
  firstJobs: number;
  everyMs: number;
}

/** Each master's replicas: the durable variant waits for all of them (failover-common.ts). */
const REPLICAS_PER_MASTER = 1;

const QUICK: Size = {
  jobs: 2_400,
  rate: 400,
  producers: 1,
  workers: 2,
  concurrency: 10,
  leaseMs: 3_000,
  partitions: 3,
  steps: ['kill', 'reshard'],
  firstJobs: 200,
  everyMs: 1_000,
};
const FULL: Size = {
  jobs: 24_000,
  rate: 800,
  producers: 2,
  workers: 4,
  concurrency: 20,
  leaseMs: 5_000,
  partitions: 6,
  steps: ['kill', 'reshard', 'kill', 'reshard', 'kill'],
  firstJobs: 2_000,
  everyMs: 3_000,
};

/** What one fault did, for the notes. */
interface Step {
  what: 'kill' | 'reshard';
  partition: number;
  at: number;
  /** Kill: when the replica served the slots; reshard: when the last SETSLOT NODE was answered. */
  until: number;
  line: string;
}

async function variant(ctx: ScenarioContext, v: Variant): Promise<ScenarioOutcome> {
  const size = ctx.quick ? QUICK : FULL;
  const durable = v.durability
    ? `durability { replicas: ${v.durability.replicas}, timeoutMs: ${v.durability.timeoutMs} }`
    : 'no durability';
  const params =
    `3 masters × 1 replica, cluster-node-timeout 1000 ms; partitions ${size.partitions}; ${size.jobs} jobs (0–5 ms) at ${size.rate}/s ` +
    `from ${size.producers} producer process(es) (${durable}); ${size.workers} worker processes × concurrency ${size.concurrency}, ` +
    `leaseMs ${size.leaseMs}; faults ${size.steps.join(', ')} (once ${size.firstJobs} jobs completed, ` +
    `then ${size.everyMs} ms ±25 % after the last ` +
    'one ended): kill = SIGKILL of the master of a random partition, the node restarted once its replica took over; ' +
    "reshard = a random partition's slot migrated to another master (MIGRATE, 50 keys a batch)";
  ctx.log(`cluster-failover-${v.name}: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const cluster = await startCluster(3, { replicasPerMaster: REPLICAS_PER_MASTER, nodeTimeoutMs: 1000 });
  const address: QueueAddress = {
    url: cluster.urls[0]!,
    cluster: cluster.urls,
    partitions: size.partitions,
    prefix: 'chaos',
    queue: `cluster-${v.name}`,
    recorderUrl: ctx.recorderUrl,
  };
  const keyOf = partitionKeys(address.prefix, address.queue, size.partitions).map((k) => k.stream);
  const fleet = new Fleet(ctx.history, { ...address, concurrency: size.concurrency, leaseMs: size.leaseMs, ignoreAbort: false });
  try {
    const t0 = Date.now();
    const producers = await startLoad(fleet, address, size, v);
    const steps: Step[] = [];
    await waitCompleted(address, size.firstJobs, 60_000);
    for (const [i, what] of size.steps.entries()) {
      if (i > 0) await sleep(jitter(size.everyMs));
      const partition = Math.floor(Math.random() * size.partitions);
      const key = keyOf[partition]!;
      if (what === 'kill') {
        const { port, killedAt } = await cluster.killMasterOf(key);
        const newPort = await cluster.waitForFailover(key, port, 20_000);
        const until = Date.now();
        await ctx.history.write({ k: 'fault', what: 'failover', pid: 0, t: killedAt, until, note: `master ${port} → ${newPort}` });
        await cluster.restartNode(port);
        const line =
          `partition ${partition}: master ${port} SIGKILLed, replica ${newPort} took over after ${until - killedAt} ms, ` +
          `${port} back as its replica after ${Date.now() - killedAt} ms`;
        steps.push({ what, partition, at: killedAt, until, line });
      } else {
        const masters = await cluster.masterPorts();
        const from = (await cluster.masterOf(key)).port;
        const others = masters.filter((p) => p !== from);
        const to = others[Math.floor(Math.random() * others.length)]!;
        const at = Date.now();
        const { keysMoved } = await cluster.moveSlot(key, to);
        const until = Date.now();
        await ctx.history.write({
          k: 'fault',
          what: 'reshard',
          pid: 0,
          t: at,
          until,
          note: `slot of partition ${partition}: ${from} → ${to}`,
        });
        steps.push({
          what,
          partition,
          at,
          until,
          line: `partition ${partition}: slot moved ${from} → ${to}, ${keysMoved} keys in ${until - at} ms`,
        });
      }
      ctx.log(`cluster-failover-${v.name}: ${steps.at(-1)!.line}`);
    }
    const counts = await Promise.all(producers.map((p) => p.done));
    const added = counts.reduce((n, c) => n + c.added, 0);
    const rejected = counts.reduce((n, c) => n + c.rejected, 0);
    // what refused them, now (the report's notes come after the drain)
    const classes = rejected > 0 ? ` (${rejectsByClass(await readHistory(ctx.recorderUrl))})` : '';
    ctx.log(`cluster-failover-${v.name}: ${added} adds acknowledged, ${rejected} rejected${classes}; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, size.leaseMs * 3);
    const check = await finish(fleet, address);
    const records = await readHistory(ctx.recorderUrl);
    const notes = steps.map((s) => {
      const times = completionTimes(records, (id) => partitionOfGeneratedId(id, size.partitions) === s.partition);
      const resumed = resumedAfter(times, s.at, s.until);
      const pause = longestGap(times, s.at, s.until + 2_000);
      const after = `the partition's first completion after it ended: ${ms(resumed)} after the fault began`;
      return `${s.line}; ${after}, its longest pause ${pause} ms`;
    });
    notes.push(...failoverNotes(v, check, records));
    return {
      id: `cluster-failover-${v.name}`,
      title: `Redis Cluster: master SIGKILL with replica takeover, and slot migration, ${modeTitle(v)}`,
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - (steps.at(-1)?.until ?? t0),
      notes,
      failures: failoverVerdict(v, check),
    };
  } finally {
    await fleet.closeAll();
    await cluster.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const v of variantsFor(REPLICAS_PER_MASTER)) outcomes.push(await variant(ctx, v));
  return outcomes;
}

export const clusterFailover: Scenario = { id: 'cluster-failover', run };
