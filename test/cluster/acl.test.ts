// ACL users on a Redis Cluster (a local 3-master cluster, test/helpers/cluster.ts): the
// documented lines of docs/production.md plus its Cluster rules, created on every node (ACL
// users are per node), run a producer and a worker (plain, delayed and prioritised jobs on
// queues served by two masters, Worker.pause/resume) with no denial in any node's ACL LOG, and
// follow an ASK redirection (ASKING) while a key's slot moves; a worker whose user lacks
// cluster|slots says so in an error event, and a producer's add() rejects naming it; a user confined to prefix A is refused a queue
// under prefix B with NOPERM.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Job, RedisCommandError } from '../../src/index.js';
import { keySlot } from '../../src/redis/cluster.js';
import { type AclRole, documentedRules } from '../helpers/acl-rules.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { ask } from '../helpers/servers.js';
import { useCluster } from '../helpers/use-cluster.js';
import { collectEvents, waitForEvent } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `q${i}`);

describe('Redis Cluster: ACL users', () => {
  const t = useCluster();

  /** Creates `name` with the documented Cluster rules of `role` on every node; returns the seeds with its credentials. */
  async function clusterUser(role: AclRole, name: string, prefix: string): Promise<string[]> {
    const password = randomBytes(8).toString('hex');
    const rules = documentedRules(role, { prefix, password, cluster: true });
    for (const port of t.cluster.ports) expect(await ask(port, 'ACL', 'SETUSER', name, 'reset', ...rules)).toBe('OK');
    return t.urls.map((url) => url.replace('redis://', `redis://${name}:${password}@`));
  }

  /** The ACL LOG entries of every node that name `user`. */
  async function denials(user: string): Promise<string[]> {
    const found: string[] = [];
    for (const port of t.cluster.ports) {
      const log = ((await ask(port, 'ACL', 'LOG')) ?? []) as unknown[][];
      for (const entry of log) if (entry.map(String).includes(user)) found.push(`${port}: ${entry.map(String).join(' ')}`);
    }
    return found;
  }

  it('a producer and a worker run jobs under the documented Cluster rules, and no node logs a denial', async () => {
    const prefix = t.newPrefix();
    for (const port of t.cluster.ports) await ask(port, 'ACL', 'LOG', 'RESET');
    const producer = await clusterUser('sluice-producer', 'producer1', prefix);
    const workerSeeds = await clusterUser('sluice-worker', 'worker1', prefix);
    for (const name of await namesOnDistinctMasters(t.admin, prefix, CANDIDATES, 2)) {
      const queue = t.queue<number, number>(name, { connection: producer });
      const worker = t.worker<number, number>(name, async (job) => job.data * 2, { connection: workerSeeds });
      const done = collectEvents<Job<number, number>>(worker, 'completed', 3, 20_000);
      // a delayed job makes the idle worker cut its own wait short (CLIENT ID, CLIENT UNBLOCK on the slot's node)
      const jobs = [
        await queue.add('plain', 1),
        await queue.add('delayed', 2, { delay: 200 }),
        await queue.add('prio', 3, { priority: 2 }),
      ];
      const completed = (await done).map((job) => job.id);
      expect(completed.sort()).toEqual(jobs.map((j) => j.id).sort());
      expect((await queue.getJob(jobs[0]!.id))?.returnvalue).toBe(2);
      expect((await queue.getJobCounts()).completed).toBe(3);
      await worker.pause();
      worker.resume();
      const again = collectEvents<Job<number, number>>(worker, 'completed', 1, 20_000);
      await queue.add('after-resume', 4);
      await again;
    }
    expect(await denials('producer1')).toEqual([]);
    expect(await denials('worker1')).toEqual([]);
  });

  it('a read of a key whose slot is moving follows the ASK redirection (ASKING) under the documented Cluster rules', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('asking', { connection: await clusterUser('sluice-producer', 'asker', prefix) });
    const job = await queue.add('a', 1, { deduplication: { id: 'd1' } });
    // move the deduplication key alone to another master, as a reshard does key by key: its slot
    // is then MIGRATING on the source, which answers ASK for it
    const key = `${prefix}:{asking}:dedup:d1`;
    const slot = String(keySlot(key));
    const from = (await t.cluster.masterOf(key)).port;
    const to = (await t.cluster.masterPorts()).find((p) => p !== from)!;
    const [fromId, toId] = [String(await ask(from, 'CLUSTER', 'MYID')), String(await ask(to, 'CLUSTER', 'MYID'))];
    expect(await ask(to, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId)).toBe('OK');
    expect(await ask(from, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId)).toBe('OK');
    try {
      expect(await ask(from, 'MIGRATE', '127.0.0.1', String(to), '', '0', '5000', 'KEYS', key)).toBe('OK');
      expect(await queue.getDeduplicationJobId('d1')).toBe(job.id);
      expect(await denials('asker')).toEqual([]);
    } finally {
      // back as it was: the key home again, the slot stable on both
      await ask(to, 'MIGRATE', '127.0.0.1', String(from), '', '0', '5000', 'KEYS', key);
      for (const port of [from, to]) await ask(port, 'CLUSTER', 'SETSLOT', slot, 'STABLE');
    }
  });

  it('a worker whose user lacks cluster|slots: an error event naming the command, not a silent wait', async () => {
    const prefix = t.newPrefix();
    const password = randomBytes(8).toString('hex');
    const rules = documentedRules('sluice-worker', { prefix, password, cluster: true }).filter((r) => r !== '+cluster|slots');
    for (const port of t.cluster.ports) expect(await ask(port, 'ACL', 'SETUSER', 'noslots', 'reset', ...rules)).toBe('OK');
    const seeds = t.urls.map((url) => url.replace('redis://', `redis://noslots:${password}@`));
    const worker = t.worker('q', async () => 1, { connection: seeds, allowErrors: true });
    const [err] = await waitForEvent<[Error]>(worker, 'error', 20_000);
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).redisCode).toBe('NOPERM');
    expect(err.message).toMatch(/no permissions to run the 'cluster\|slots' command/);
  });

  it('a producer whose user lacks cluster|slots: add() rejects naming the command after about 20 s, not a wait without end', async () => {
    const prefix = t.newPrefix();
    const password = randomBytes(8).toString('hex');
    const rules = documentedRules('sluice-producer', { prefix, password, cluster: true }).filter((r) => r !== '+cluster|slots');
    for (const port of t.cluster.ports) expect(await ask(port, 'ACL', 'SETUSER', 'noslotsp', 'reset', ...rules)).toBe('OK');
    const seeds = t.urls.map((url) => url.replace('redis://', `redis://noslotsp:${password}@`));
    const queue = t.queue('q', { connection: seeds });
    const started = Date.now();
    const err = await queue.add('j', null).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).redisCode).toBe('NOPERM');
    expect(err!.message).toMatch(/no permissions to run the 'cluster\|slots' command/);
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 60_000);

  it('a user confined to prefix A cannot read or change a queue under prefix B: RedisCommandError NOPERM', async () => {
    const prefixA = t.newPrefix();
    const seedsA = await clusterUser('sluice-producer', 'onlyA', prefixA);
    const prefixB = t.newPrefix();
    const queueB = t.queue('other', { connection: seedsA, prefix: prefixB });
    for (const call of [() => queueB.add('x', 1), () => queueB.getJobCounts()]) {
      const failure = await call().then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure).toBeInstanceOf(RedisCommandError);
      expect((failure as RedisCommandError).redisCode).toBe('NOPERM');
      expect(failure!.message).toMatch(/no permissions to access one of the keys/);
    }
    expect(await t.admin.exists(`${prefixB}:{other}:stream`, `${prefixB}:{other}:meta`, `${prefixB}:{other}:id`)).toBe(0);
    // the same user under its own prefix works
    const queueA = t.queue('mine', { connection: seedsA, prefix: prefixA });
    expect((await queueA.add('x', 1)).id).toBeTruthy();
  });
});
