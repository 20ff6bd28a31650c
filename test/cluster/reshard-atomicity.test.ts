// Resharding a queue's slot, one script call at a time: with the slot MIGRATING and a part of the
// queue's keys already moved to the target (none, a pseudo-random half, all but the stream, all
// but the job records), each script-backed operation either runs or fails having written nothing,
// on either node (invariant 11, docs/invariants.md). Redis does not roll a script back: one that
// touches a missing key it did not declare errors at that point ("non local key"), after
// whatever it wrote before. Then the migration finishes and the queue still runs a job.
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { keySlot } from '../../src/redis/cluster.js';
import { certainlyNotApplied, slotMoving } from '../../src/redis/redis-errors.js';
import { queueKeys } from '../../src/redis/keys.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { type EnqueueItem, Scripts } from '../../src/redis/scripts.js';
import { ControlScripts } from '../../src/redis/control-scripts.js';
import { useCluster } from '../helpers/use-cluster.js';

const CONFIG = JSON.stringify({ leaseMs: 60_000, maxStalls: 3, keepFailed: [100, -1] });
const KEEP: [number, number] = [100, -1];
const item = (id: string, schedule: object | '' = ''): EnqueueItem => ({
  id,
  name: 'n',
  data: '{"x":1}',
  opts: '{}',
  schedule: schedule === '' ? '' : JSON.stringify(schedule),
});

/** A busy queue: jobs waiting, delayed, prioritised, ordered, deduplicated, active, retried, failed, completed; a scheduler, two groups. */
interface Busy {
  s: Scripts;
  /** The job controls' and clean-waiting's scripts (src/redis/control-scripts.ts). */
  c: ControlScripts;
  /** Leased jobs: [id, token]; ops use distinct ones. */
  active: [string, string][];
  failedId: string;
  completedId: string;
}

async function makeBusy(s: Scripts, client: Cluster): Promise<Busy> {
  // a rate limit, so that the group's limiter log exists (scripts that declare it can run)
  await client.hset(s.keys.meta, 'limit:default', '1000:1000');
  await s.createGroup('billing', '$');
  await s.enqueue([
    ...Array.from({ length: 7 }, () => item('')),
    item('J1'),
    item('J2'),
    item('D1', { delay: 600_000 }),
    item('P1', { priority: 5 }),
    item('O1', { orderingKey: 'k' }),
    item('O2', { orderingKey: 'k' }),
    item('X1', { dedup: { id: 'dd' } }),
  ]);
  const leased = await s.lease('default', 'c', 'n1', 11, CONFIG);
  const active = leased.jobs.map((j): [string, string] => [j.id, j.token]);
  expect(active.length).toBeGreaterThanOrEqual(10);
  const [toRetry, toFail, toComplete] = active.splice(0, 3) as [string, string][];
  await s.fail('default', toRetry[0], toRetry[1], { retry: true, delayMs: 600_000, reason: 'r', stack: '[]', keep: KEEP });
  await s.fail('default', toFail[0], toFail[1], { retry: false, delayMs: 0, reason: 'r', stack: '[]', keep: KEEP });
  await s.complete('default', 'c', 'n2', 0, CONFIG, [{ id: toComplete[0], token: toComplete[1], returnvalue: '1', keep: KEEP }]);
  await s.progress('default', active[0]![0], active[0]![1], '5');
  await s.log('default', active[0]![0], active[0]![1], 'a line', 10);
  // after the lease: a redelivery waiting, a prioritised job, a generated id, a second delayed job
  const [toRequeue] = active.splice(-1, 1) as [string, string][];
  await s.fail('default', toRequeue[0], toRequeue[1], { retry: true, delayMs: 0, reason: 'r', stack: '[]', keep: KEEP });
  await s.enqueue([item('', { priority: 1 }), item('D2', { delay: 600_000 })]);
  await s.upsertScheduler('s1', '{"every":60000}', '{"name":"n","data":"1","opts":"{}"}', Date.now() + 60_000);
  await s.lease('billing', 'c', 'n3', 3, CONFIG);
  const c = new ControlScripts(client as unknown as Redis, s.keys);
  return { s, c, active, failedId: toFail[0], completedId: toComplete[0] };
}

const fail = (retry: boolean, delayMs: number) => ({ retry, delayMs, reason: 'boom', stack: '[]', keep: KEEP });

/** Every script-backed operation a producer, a worker or an admin call makes, on a busy queue. */
const OPS: Record<string, (b: Busy) => Promise<unknown>> = {
  'add plain': (b) => b.s.enqueue([item('')]),
  'add with jobId': (b) => b.s.enqueue([item('N1')]),
  'add an existing jobId': (b) => b.s.enqueue([item('J1')]),
  'add delayed': (b) => b.s.enqueue([item('', { delay: 5000 })]),
  'add prioritised': (b) => b.s.enqueue([item('', { priority: 3 })]),
  'add ordered': (b) => b.s.enqueue([item('', { orderingKey: 'k' })]),
  'add deduplicated (new id)': (b) => b.s.enqueue([item('', { dedup: { id: 'dd2', ttl: 60_000 } })]),
  'add deduplicated (held id, replace)': (b) => b.s.enqueue([item('', { dedup: { id: 'dd', replace: true } })]),
  'addBulk mixed': (b) =>
    b.s.enqueue([
      item(''),
      item('N2'),
      item('N3', { delay: 1000 }),
      item('', { priority: 2 }),
      item('', { orderingKey: 'k2' }),
      item('', { dedup: { id: 'dd3' } }),
    ]),
  lease: (b) => b.s.lease('default', 'c2', 'n-op', 5, CONFIG),
  'complete (ack batch) and lease': (b) =>
    b.s.complete(
      'default',
      'c',
      'n-op',
      3,
      CONFIG,
      b.active.slice(0, 2).map(([id, token]) => ({ id, token, returnvalue: '"ok"', keep: KEEP })),
    ),
  'fail, retry now': (b) => b.s.fail('default', b.active[2]![0], b.active[2]![1], fail(true, 0)),
  'fail, retry later': (b) => b.s.fail('default', b.active[2]![0], b.active[2]![1], fail(true, 5000)),
  'fail, final': (b) => b.s.fail('default', b.active[2]![0], b.active[2]![1], fail(false, 0)),
  extend: (b) => b.s.extend('default', 60_000, b.active.slice(0, 3)),
  release: (b) => b.s.release('default', true, b.active.slice(0, 3)),
  'release (not started)': (b) => b.s.release('default', false, b.active.slice(3, 5)),
  progress: (b) => b.s.progress('default', b.active[0]![0], b.active[0]![1], '50'),
  log: (b) => b.s.log('default', b.active[0]![0], b.active[0]![1], 'line', 10),
  'retry a failed job': (b) => b.s.retryJob('default', b.failedId, 'failed'),
  'retry a completed job': (b) => b.s.retryJob('default', b.completedId, 'completed'),
  'retry failed jobs': (b) => b.s.retryJobs('default', 'failed', Date.now() + 1000, 10),
  'remove an active job': (b) => b.s.removeJob('default', b.active[0]![0]),
  'remove a waiting job': (b) => b.s.removeJob('default', 'J2'),
  'remove a delayed job': (b) => b.s.removeJob('default', 'D1'),
  'remove a failed job': (b) => b.s.removeJob('default', b.failedId),
  promote: (b) => b.s.promoteJobs('default', 10),
  'change delay': (b) => b.s.changeDelay('default', 'D1', 10),
  'clean completed': (b) => b.s.clean('default', 'completed', Date.now() + 1000, 10),
  'clean failed': (b) => b.s.clean('default', 'failed', Date.now() + 1000, 10),
  drain: (b) => b.s.drain('default', 10, true),
  'update data of a waiting job': (b) => b.c.updateData('default', 'J2', '{"x":2}'),
  'update data of an active job': (b) => b.c.updateData('default', b.active[0]![0], '{"x":3}'),
  'change priority': (b) => b.c.changePriority('default', 'P1', 1, false, 100),
  'change priority to lifo': (b) => b.c.changePriority('default', 'P1', 0, true, 100),
  'change priority of a delayed job': (b) => b.c.changePriority('default', 'D1', 2, false, 100),
  ...Object.fromEntries(
    (['wait', 'stream', 'prio', 'retry', 'delayed'] as const).map((part) => [
      `clean waiting (${part})`,
      (b: Busy) => b.c.cleanWaiting('default', part, Date.now() + 1000, { batch: 10, offset: 0, listCap: 100, sofar: 0, announce: 1 }),
    ]),
  ),
  pause: (b) => b.s.setPaused('default', true),
  'rate-limit with a job': (b) => b.s.rateLimit('default', 1, [b.active[3]![0], b.active[3]![1]]),
  'rate-limit': (b) => b.s.rateLimit('default', 1),
  'next due': (b) => b.s.nextDue('default'),
  'scheduler upsert': (b) => b.s.upsertScheduler('s2', '{"every":1000}', '{"name":"n","data":"1","opts":"{}"}', Date.now()),
  'scheduler fire': (b) => b.s.fireScheduler('s1', Date.now(), Date.now() + 60_000, true, `repeat:s1:${Date.now()}`),
  'scheduler remove': (b) => b.s.removeScheduler('s1'),
  'create group': (b) => b.s.createGroup('audit', '0'),
  'remove group': (b) => b.s.removeGroup('billing', 10, true),
  obliterate: (b) => b.s.obliterate(10, true),
};

const RECORD = /:(job|logs|dedup|scheduler):|:(meta|events|room)$/;

/** Split points: which of the slot's keys are moved before the operation runs. */
const SPLITS: Record<string, (key: string, i: number) => boolean> = {
  'none moved': () => false,
  'a pseudo-random half moved': (_, i) => (i * 7919) % 13 < 6,
  'another pseudo-random part moved': (_, i) => (i * 104_729) % 11 >= 4,
  'all but the stream moved': (key) => !key.endsWith(':stream'),
  'all but the job records moved': (key) => !/:job:/.test(key),
  // the keys a script finds from its arguments (records, logs, meta, events…) gone, its declared sets still there
  'the records moved, the sets stayed': (key) => RECORD.test(key),
  'the sets moved, the records stayed': (key) => !RECORD.test(key),
};

type Snapshot = Map<string, string>;

/** The keys whose value (or presence, or expiry) differs between two snapshots of one node. */
function changes(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).map((k) => k.slice(k.indexOf('}') + 2));
}

describe('Redis Cluster: resharding, one call at a time', () => {
  const t = useCluster();

  it('every operation on a MIGRATING slot either runs or writes nothing; the queue runs a job after the move', async () => {
    const nodes = t.cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: false }));
    // a client that gives up a TRYAGAIN at once (the slot stays half-moved for as long as the case
    // needs), and never resends a call, as the worker's (src/redis/connection.ts)
    const client = new Cluster(t.urls, { maxRedirections: 6, retryDelayOnTryAgain: 1, retryDelayOnFailover: 0 });
    registerScripts(client as unknown as Redis);
    const results: Record<string, string[]> = {};
    const problems: string[] = [];
    try {
      const ids = await Promise.all(nodes.map(async (n) => String(await n.cluster('MYID'))));
      const ownerOf = async (slot: number) => {
        const slots = (await nodes[0]!.cluster('SLOTS')) as [number, number, [string, number, string]][];
        return ids.indexOf(slots.find(([from, to]) => slot >= from && slot <= to)![2][2]);
      };
      const snapshot = async (node: Redis, slot: number): Promise<Snapshot> => {
        const keys = (await node.cluster('GETKEYSINSLOT', slot, 100_000)) as string[];
        const pipe = node.pipeline();
        for (const key of keys) {
          pipe.call('ASKING');
          pipe.dumpBuffer(key);
          pipe.call('ASKING');
          pipe.pttl(key);
        }
        const replies = (await pipe.exec()) ?? [];
        const snap: Snapshot = new Map();
        keys.forEach((key, i) => {
          const dump = replies[i * 4 + 1]![1] as Buffer | null;
          const ttl = Number(replies[i * 4 + 3]![1]);
          snap.set(key, `${dump?.toString('base64')} ttl:${ttl > 0 ? 'yes' : ttl}`);
        });
        return snap;
      };
      const migrate = async (from: number, to: number, keys: string[]) => {
        for (let i = 0; i < keys.length; i += 50) {
          const batch = keys.slice(i, i + 50);
          await nodes[from]!.call('MIGRATE', '127.0.0.1', String(t.cluster.ports[to]), '', '0', '5000', 'KEYS', ...batch);
        }
      };

      const migrateReplacing = (from: number, to: number, keys: string[]) =>
        keys.length === 0
          ? undefined
          : nodes[from]!.call('MIGRATE', '127.0.0.1', String(t.cluster.ports[to]), '', '0', '5000', 'REPLACE', 'KEYS', ...keys);

      let n = 0;
      for (const [opName, op] of Object.entries(OPS)) {
        for (const [splitName, moved] of Object.entries(SPLITS)) {
          const prefix = t.newPrefix();
          const name = `rs${n++}`;
          const keys = queueKeys(prefix, name);
          const s = new Scripts(client as unknown as Redis, keys);
          const busy = await makeBusy(s, client);
          const slot = keySlot(keys.stream);
          const from = await ownerOf(slot);
          const to = (from + 1) % nodes.length;
          await nodes[to]!.cluster('SETSLOT', slot, 'IMPORTING', ids[from]!);
          await nodes[from]!.cluster('SETSLOT', slot, 'MIGRATING', ids[to]!);
          const all = ((await nodes[from]!.cluster('GETKEYSINSLOT', slot, 100_000)) as string[]).sort();
          await migrate(
            from,
            to,
            all.filter((k, i) => moved(k, i)),
          );
          const before = [await snapshot(nodes[from]!, slot), await snapshot(nodes[to]!, slot)];
          let outcome = 'ran';
          try {
            await op(busy);
          } catch (err) {
            outcome = (err as Error).message.split(' script:')[0]!.replace(/^.*Last error: /, 'gave up: ');
            // the client tells the worker to retry soon, and that the call did not run
            if (!slotMoving(err) || !certainlyNotApplied(err)) problems.push(`${opName} / ${splitName}: ${outcome}: not a refusal`);
            const after = [await snapshot(nodes[from]!, slot), await snapshot(nodes[to]!, slot)];
            const changed = [...changes(before[0]!, after[0]!), ...changes(before[1]!, after[1]!)];
            if (changed.length) problems.push(`${opName} / ${splitName}: ${outcome}, yet it wrote ${changed.join(', ')}`);
          }
          (results[opName] ??= []).push(`${splitName}: ${outcome}`);
          // finish the move; a key the call wrote on the target while the source still held it
          // would make MIGRATE fail here (BUSYKEY): the slot would be split in two
          const rest = (await nodes[from]!.cluster('GETKEYSINSLOT', slot, 100_000)) as string[];
          await migrate(from, to, rest).catch((err: Error) => {
            problems.push(`${opName} / ${splitName}: finishing the move: ${err.message}`);
            return migrateReplacing(from, to, rest);
          });
          for (const node of nodes) await node.cluster('SETSLOT', slot, 'NODE', ids[to]!);
          // the queue runs a job
          await s.setPaused('default', false);
          const added = await s.enqueue([item('')]);
          const newId = added.jobs[0]!.id;
          let leased: [string, string] | undefined;
          for (let tries = 0; tries < 20 && !leased; tries++) {
            const reply = await s.lease('default', 'c9', `n-after-${tries}`, 50, CONFIG);
            const job = reply.jobs.find((j) => j.id === newId);
            if (job) leased = [job.id, job.token];
            else await new Promise((r) => setTimeout(r, 5));
          }
          expect(leased, `${opName} / ${splitName}: the job added after the move is leased`).toBeDefined();
          const done = await s.complete('default', 'c9', 'n-done', 0, CONFIG, [
            { id: leased![0], token: leased![1], returnvalue: '1', keep: KEEP },
          ]);
          expect(done.refused, `${opName} / ${splitName}`).toEqual([]);
        }
      }
      expect(problems).toEqual([]);
    } finally {
      if (process.env.SLUICE_REPORT) console.log(JSON.stringify(results, null, 1));
      client.disconnect();
      for (const node of nodes) node.disconnect();
    }
  }, 120_000);
});
