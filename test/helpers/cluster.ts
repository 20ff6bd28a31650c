// Test harness for Redis Cluster: starts private redis-server processes in cluster mode (each
// through sluice/testing's startRedis: a free port, its own directory and nodes.conf), joins them with
// `redis-cli --cluster create`, waits until every node says cluster_state:ok, and stops them all
// afterwards. It never touches a Redis it did not start. useCluster() is the per-file fixture,
// the counterpart of useRedis() (test/helpers/setup.ts): one cluster per file, a prefix per test.
// A cluster may have replicas (`replicasPerMaster`) and a short `cluster-node-timeout`, for
// failover tests: killMasterOf() SIGKILLs the master that serves a key's slot, and
// waitForFailover() waits until its replica has taken the slot over and the cluster is ok again.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { keySlot } from '../../src/redis/cluster.js';
import { startRedis, type TestRedis } from '../../src/testing/redis-server.js';
import { askText, until } from './servers.js';
import { withQueues } from './setup.js';

const run = promisify(execFile);

export interface TestCluster {
  /** redis://127.0.0.1:<port> of every node (masters and replicas, as started). */
  readonly urls: string[];
  readonly ports: number[];
  /** The master that serves `key`'s slot now, and its replicas, as a live node's CLUSTER NODES says. */
  masterOf(key: string): Promise<{ port: number; replicas: number[] }>;
  /** SIGKILLs the master that serves `key`'s slot (it must have a replica); resolves once it has exited. */
  killMasterOf(key: string): Promise<{ port: number; killedAt: number }>;
  /**
   * Waits until a node other than `killedPort` serves `key`'s slot as master and every live
   * node says cluster_state:ok; gives the new master's port.
   */
  waitForFailover(key: string, killedPort: number, timeoutMs?: number): Promise<number>;
  /** Stops every node (SIGKILL) and deletes their directories; idempotent. */
  stop(): Promise<void>;
}

export interface ClusterShape {
  /** Replicas of each master (redis-cli --cluster-replicas). @default 0 */
  replicasPerMaster?: number;
  /** cluster-node-timeout: how long a master is unreachable before its replica takes over. @default 1000 with replicas, else 15000 */
  nodeTimeoutMs?: number;
}

interface ClusterNodeLine {
  id: string;
  port: number;
  flags: string[];
  masterId: string;
  slots: [number, number][];
}

/** CLUSTER NODES, parsed: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`. */
function parseNodes(text: string): ClusterNodeLine[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.trim().split(' ');
      const port = Number(address!.split('@')[0]!.split(':')[1]);
      const ranges = slots
        .filter((s) => !s.startsWith('['))
        .map((s): [number, number] => {
          const [from, to] = s.split('-');
          return [Number(from), Number(to ?? from)];
        });
      return { id: id!, port, flags: flags!.split(','), masterId: masterId!, slots: ranges };
    });
}

interface Node {
  port: number;
  server: TestRedis;
  /** SIGKILLed by killMasterOf(): not a live node any more. */
  killed: boolean;
}

/** One cluster-mode node: sluice/testing's redis-server (its own port, directory and exit hook). */
async function startNode(nodeTimeoutMs: number): Promise<Node> {
  const args = ['--cluster-enabled', 'yes', '--cluster-node-timeout', String(nodeTimeoutMs)];
  const server = await startRedis({ url: null, args });
  return { port: server.port, server, killed: false };
}

async function stopNode(node: Node): Promise<void> {
  await node.server.stop();
}

/** Starts `masters` redis-servers in cluster mode (with `replicasPerMaster` replicas each) and joins them into one cluster. */
export async function startCluster(masters = 3, shape: ClusterShape = {}): Promise<TestCluster> {
  const replicas = shape.replicasPerMaster ?? 0;
  const nodeTimeoutMs = shape.nodeTimeoutMs ?? (replicas > 0 ? 1000 : 15_000);
  const nodes: Node[] = [];
  const stop = async () => {
    await Promise.all(nodes.splice(0).map(stopNode));
  };
  const live = () => nodes.filter((n) => !n.killed);
  const clusterNodes = async (): Promise<ClusterNodeLine[]> => {
    for (const node of live()) {
      const text = await askText(node.port, 'CLUSTER', 'NODES');
      if (text) return parseNodes(text);
    }
    throw new Error('cluster harness: no live node answers CLUSTER NODES');
  };
  const masterOf = async (key: string) => {
    const slot = keySlot(key);
    const all = await clusterNodes();
    const master = all.find(
      (n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!master) throw new Error(`cluster harness: no master serves slot ${slot}`);
    const ofIt = all.filter((n) => n.masterId === master.id && !n.flags.includes('fail')).map((n) => n.port);
    return { port: master.port, replicas: ofIt };
  };
  try {
    nodes.push(...(await Promise.all(Array.from({ length: masters * (1 + replicas) }, () => startNode(nodeTimeoutMs)))));
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    const create = ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'];
    await run('redis-cli', create, { timeout: 20_000 });
    await until('cluster_state:ok on every node', 20_000, async () => {
      const states = await Promise.all(nodes.map((n) => askText(n.port, 'CLUSTER', 'INFO')));
      return states.every((s) => s?.includes('cluster_state:ok'));
    });
    // every replica has its master's data before a test may kill the master
    await until('the replicas to sync', 20_000, async () => {
      const infos = await Promise.all(nodes.map((n) => askText(n.port, 'INFO', 'replication')));
      const synced = infos.filter((i) => i?.includes('role:slave') && i.includes('master_link_status:up')).length;
      return synced === masters * replicas;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const ports = nodes.map((n) => n.port);
  return {
    ports,
    urls: ports.map((p) => `redis://127.0.0.1:${p}`),
    stop,
    masterOf,
    async killMasterOf(key) {
      const { port, replicas: standby } = await masterOf(key);
      if (standby.length === 0) throw new Error(`cluster harness: the master on ${port} has no replica to take over`);
      const node = nodes.find((n) => n.port === port)!;
      const killedAt = Date.now();
      node.killed = true;
      await node.server.kill('SIGKILL');
      return { port, killedAt };
    },
    async waitForFailover(key, killedPort, timeoutMs = 15_000) {
      let port = killedPort;
      await until(`a replica to take over from ${killedPort}`, timeoutMs, async () => {
        try {
          port = (await masterOf(key)).port;
        } catch {
          return false;
        }
        if (port === killedPort) return false;
        const states = await Promise.all(live().map((n) => askText(n.port, 'CLUSTER', 'INFO')));
        if (!states.every((s) => s?.includes('cluster_state:ok'))) return false;
        return (await askText(port, 'ROLE'))?.startsWith('master') === true;
      });
      return port;
    },
  };
}

/**
 * Queue names whose hash tags land on `count` different masters, one per master: the first
 * name of `candidates` served by each master, in the order of `cluster.nodes('master')`.
 */
export async function namesOnDistinctMasters(admin: Cluster, prefix: string, candidates: string[], count: number): Promise<string[]> {
  const picked = new Map<string, string>(); // master → name
  const slots = (await admin.cluster('SLOTS')) as [number, number, [string, number]][];
  for (const name of candidates) {
    const slot = Number(await admin.cluster('KEYSLOT', `${prefix}:{${name}}:x`));
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (!range) continue;
    const owner = `${range[2][0]}:${range[2][1]}`;
    if (!picked.has(owner)) picked.set(owner, name);
    if (picked.size === count) break;
  }
  if (picked.size < count) throw new Error(`only ${picked.size} masters serve the candidate names`);
  return [...picked.values()];
}

/** The per-file fixture: one cluster for the file, a unique prefix per test, everything closed after each test. */
export function useCluster(masters = 3, shape: ClusterShape = {}) {
  let cluster: TestCluster | undefined;
  let admin: Cluster | undefined;

  beforeAll(async () => {
    cluster = await startCluster(masters, shape);
  });
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  const ctx = withQueues(
    {
      get cluster(): TestCluster {
        if (!cluster) throw new Error('cluster not started');
        return cluster;
      },
      /** The seed URLs: what a user passes as `connection`. */
      get urls(): string[] {
        return ctx.cluster.urls;
      },
      /** An ioredis Cluster of the file's cluster, for looking at keys (made on first use). */
      get admin(): Cluster {
        admin ??= new Cluster(ctx.urls);
        return admin;
      },
    },
    () => ctx.urls,
  );
  return ctx;
}
