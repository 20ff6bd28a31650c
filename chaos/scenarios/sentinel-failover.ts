// Scenario "sentinel-failover": a master with two replicas and three sentinels (quorum 2,
// down-after-milliseconds 1000; test/helpers/sentinel.ts); producer and worker processes connect
// through the sentinels. Under load the master is SIGKILLed, the sentinels promote a replica, and
// the killed server is started again as a replica of the new master. Two variants: replication
// asynchronous (acknowledged adds lost in the failover are reported, not judged) and
// `durability: { replicas: 2 }` on the producers, every replica (no acknowledged add may be
// lost). Stale acks and unexplained duplicates fail both. Figures: how long the sentinels took,
// and until jobs completed again. A failed variant reports its servers' failover lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startSentinelSet, type TestSentinel } from '../../test/helpers/sentinel.js';
import type { QueueAddress } from '../lib/child-config.js';
import { Fleet } from '../lib/fleet.js';
import { clearHistory, readHistory } from '../lib/history.js';
import { serverLogEvidence } from '../lib/server-logs.js';
import { finish, jitter, sleep, waitDrained } from './common.js';
import {
  completionTimes,
  modeTitle,
  failoverNotes,
  rejectsByClass,
  failoverVerdict,
  longestGap,
  ms,
  resumedAfter,
  variantsFor,
  type Variant,
  waitCompleted,
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
  kills: number;
  /** The first kill comes once this many jobs completed. */
  firstJobs: number;
  everyMs: number;
}

/** The master's replicas: the durable variant waits for both (failover-common.ts). */
const REPLICAS = 2;

const QUICK: Size = {
  jobs: 1_600,
  rate: 400,
  producers: 1,
  workers: 2,
  concurrency: 10,
  leaseMs: 3_000,
  kills: 1,
  firstJobs: 200,
  everyMs: 0,
};
const FULL: Size = {
  jobs: 20_000,
  rate: 800,
  producers: 2,
  workers: 4,
  concurrency: 20,
  leaseMs: 5_000,
  kills: 3,
  firstJobs: 2_000,
  everyMs: 3_000,
};

/** One switch: "<old port> <new port>", and when the first and the last sentinel announced it. */
interface Switch {
  key: string;
  first: number;
  last: number;
}

/**
 * Every +switch-master the sentinels publish (each does as it learns the switch, and each one
 * makes the clients reconnect: ioredis's failoverDetector); announcements of one switch less
 * than 5 s apart are one switch, which lasts until the last of them. A switch the runner did
 * not cause (the sentinels failing over again, away from a master that is still up) is a fault
 * too: the scenario records it, so that what it rolled back is explained, and reports it.
 */
function watchSwitches(set: TestSentinel): { seen: Switch[]; stop(): void } {
  const seen: Switch[] = [];
  const clients = set.sentinels.map((s) => {
    const client = new Redis({ ...s, maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    client.on('message', (_channel: string, message: string) => {
      // "<name> <old ip> <old port> <new ip> <new port>"
      const [, , from, , to] = message.split(' ');
      const key = `${from} ${to}`;
      const now = Date.now();
      const same = [...seen].reverse().find((s) => s.key === key && now - s.last < 5_000);
      if (same) same.last = now;
      else seen.push({ key, first: now, last: now });
    });
    void client.subscribe('+switch-master').catch(() => undefined);
    return client;
  });
  return {
    seen,
    stop: () => {
      for (const c of clients) c.disconnect();
    },
  };
}

async function variant(ctx: ScenarioContext, v: Variant): Promise<ScenarioOutcome> {
  const size = ctx.quick ? QUICK : FULL;
  const durable = v.durability
    ? `durability { replicas: ${v.durability.replicas}, timeoutMs: ${v.durability.timeoutMs} }`
    : 'no durability';
  const params =
    `a master, 2 replicas, 3 sentinels (quorum 2, down-after-milliseconds 1000); ${size.jobs} jobs (0–5 ms) at ${size.rate}/s from ` +
    `${size.producers} producer process(es) (${durable}); ${size.workers} worker processes × concurrency ${size.concurrency}, ` +
    `leaseMs ${size.leaseMs}, all connected through the sentinels; the master SIGKILLed ${size.kills} time(s) (once ${size.firstJobs} ` +
    `jobs completed${size.kills > 1 ? `, then ${size.everyMs} ms ±25 % after the killed server is back` : ''}), the killed server ` +
    'started again as a replica of the promoted one';
  ctx.log(`sentinel-failover-${v.name}: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const set = await startSentinelSet({ replicas: REPLICAS });
  const address: QueueAddress = {
    url: `redis://127.0.0.1:${set.dataPorts[0]}`,
    sentinel: set.connection,
    prefix: 'chaos',
    queue: `sentinel-${v.name}`,
    recorderUrl: ctx.recorderUrl,
  };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: size.concurrency, leaseMs: size.leaseMs, ignoreAbort: false });
  const switches = watchSwitches(set);
  let outcome: ScenarioOutcome | undefined;
  const kills: { at: number; until: number; switch: string; line: string }[] = [];
  try {
    const t0 = Date.now();
    const producers = await startLoad(fleet, address, size, v);
    let rejoined = Promise.resolve();
    await waitCompleted(address, size.firstJobs, 60_000);
    for (let k = 0; k < size.kills; k++) {
      if (k > 0) {
        await rejoined; // the next kill needs every replica back
        await sleep(jitter(size.everyMs));
      }
      const oldPort = await set.masterPort();
      await set.killMaster(); // resolves once the process exited
      const at = Date.now();
      const newPort = await set.waitForFailover(oldPort, 60_000);
      const until = Date.now();
      const kill = {
        at,
        until,
        switch: `${oldPort} ${newPort}`,
        line: `master ${oldPort} SIGKILLed, the sentinels named ${newPort} after ${until - at} ms`,
      };
      kills.push(kill);
      ctx.log(`sentinel-failover-${v.name}: ${kill.line}`);
      // started again at once; the run goes on while the sentinels make it a replica
      rejoined = set.restartData(oldPort).then(
        () => {
          kill.line += `, ${oldPort} back as a replica after ${Date.now() - at} ms`;
        },
        (err: unknown) => {
          kill.line += `, ${oldPort} not back as a replica: ${err instanceof Error ? err.message : String(err)}`;
        },
      );
    }
    await rejoined;
    const counts = await Promise.all(producers.map((p) => p.done));
    const added = counts.reduce((n, c) => n + c.added, 0);
    const rejected = counts.reduce((n, c) => n + c.rejected, 0);
    // what refused them, now (the report's notes come after the drain)
    const classes = rejected > 0 ? ` (${rejectsByClass(await readHistory(ctx.recorderUrl))})` : '';
    ctx.log(`sentinel-failover-${v.name}: ${added} adds acknowledged, ${rejected} rejected${classes}; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, size.leaseMs * 3);
    switches.stop();
    const others: string[] = [];
    // recorded now, with their ends: the last sentinel's switch message (they are read by time)
    const caused = new Set<Switch>();
    for (const kill of kills) {
      const own = switches.seen.find((s) => s.key === kill.switch && s.first >= kill.at && !caused.has(s));
      if (own) caused.add(own);
      const until = Math.max(kill.until, own?.last ?? 0);
      await ctx.history.write({
        k: 'fault',
        what: 'failover',
        pid: 0,
        t: kill.at,
        until,
        note: `master ${kill.switch.replace(' ', ' → ')}`,
      });
    }
    for (const s of switches.seen) {
      if (caused.has(s)) continue;
      const { key, first, last } = s;
      const note = `the sentinels on their own: ${key.replace(' ', ' → ')}`;
      others.push(`${key.replace(' ', ' → ')} (announced over ${last - first} ms)`);
      await ctx.history.write({ k: 'fault', what: 'failover', pid: 0, t: first, until: last, note });
    }
    const check = await finish(fleet, address);
    const records = await readHistory(ctx.recorderUrl);
    const times = completionTimes(records);
    const notes = kills.map(
      (f) =>
        `${f.line}; first completion after the promotion ${ms(resumedAfter(times, f.at, f.until))} after the kill, ` +
        `longest pause between completions ${longestGap(times, f.at, f.until + 10_000)} ms`,
    );
    notes.push(`failovers the sentinels made on their own (recorded as faults): ${others.length ? others.join(', ') : 'none'}`);
    notes.push(...failoverNotes(v, check, records, others.length > 0));
    outcome = {
      id: `sentinel-failover-${v.name}`,
      title: `Sentinel: master SIGKILL and promotion of a replica, ${modeTitle(v)}`,
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - (kills.at(-1)?.until ?? t0),
      notes,
      failures: failoverVerdict(v, check, others.length > 0),
    };
    return outcome;
  } finally {
    switches.stop();
    await fleet.closeAll();
    // a failed run, or a durable one that lost adds (after a split brain), keeps what its
    // servers logged about the failovers, in the report
    const telling = outcome && (outcome.failures.length > 0 || (v.durability && outcome.check.lost > 0));
    const logs = telling ? mkdtempSync(join(tmpdir(), 'sluice-chaos-logs-')) : undefined;
    await set.stop({ keepLogsIn: logs });
    if (outcome && logs) {
      // the servers' clocks are this machine's: the kills' times place their lines
      const at = (t: number) => new Date(t).toISOString().slice(11, 23);
      outcome.evidence = [
        ...kills.map((k) => `runner: ${k.switch.split(' ')[0]} SIGKILLed at ${at(k.at)} UTC`),
        ...serverLogEvidence(logs),
      ];
      rmSync(logs, { recursive: true, force: true });
    }
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const outcomes: ScenarioOutcome[] = [];
  for (const v of variantsFor(REPLICAS)) outcomes.push(await variant(ctx, v));
  return outcomes;
}

export const sentinelFailover: Scenario = { id: 'sentinel-failover', run };
