// Test harness for Redis Cluster: starts private redis-server processes in cluster mode (each
// through sluice/testing's startRedis: a free port, its own directory and nodes.conf), joins them with
// `redis-cli --cluster create`, waits until every node says cluster_state:ok, and stops them all
// afterwards. It never touches a Redis it did not start. useCluster() (use-cluster.ts) is the per-file fixture,
// the counterpart of useRedis() (test/helpers/setup.ts): one cluster per file, a prefix per test.
// A cluster may have replicas (`replicasPerMaster`) and a short `cluster-node-timeout`, for
// failover tests: killMasterOf() SIGKILLs the master that serves a key's slot, and
// waitForFailover() waits until its replica has taken the slot over and the cluster is ok again;
// restartNode() brings a killed master back (it rejoins as its successor's replica), and
// moveSlot() migrates a key's slot to another master under load, as `redis-cli --cluster reshard` does.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Cluster, Redis } from 'ioredis';
import { keySlot } from '../../src/redis/cluster.js';
import { startRedis, type TestRedis } from '../../src/testing/redis-server.js';
import { askText, until } from './servers.js';

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
  /**
   * Starts a node killMasterOf() killed, on its port and directory (its nodes.conf): it rejoins
   * as a replica of the master that took its slots over; resolves once its replication link is up.
   */
  restartNode(port: number, timeoutMs?: number): Promise<void>;
  /** The ports of the masters that serve slots now. */
  masterPorts(): Promise<number[]>;
  /**
   * Moves `key`'s slot to the master on `toPort`, as `redis-cli --cluster reshard` does: SETSLOT
   * IMPORTING on the target, MIGRATING on the source, GETKEYSINSLOT + MIGRATE in batches of
   * `batch` keys, then SETSLOT NODE on the target, the source and every other master.
   */
  moveSlot(key: string, toPort: number, batch?: number): Promise<{ from: number; keysMoved: number }>;
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
  // a replica's full sync starts at once (Redis waits 5 s by default for more replicas to share it)
  const args = ['--cluster-enabled', 'yes', '--cluster-node-timeout', String(nodeTimeoutMs), '--repl-diskless-sync-delay', '0'];
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
    async restartNode(port, timeoutMs = 20_000) {
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`cluster harness: no node on ${port}`);
      await node.server.restart();
      node.killed = false;
      await until(`the node on ${port} to rejoin as a replica in sync`, timeoutMs, async () => {
        const info = await askText(port, 'INFO', 'replication');
        return info?.includes('role:slave') === true && info.includes('master_link_status:up');
      });
    },
    async masterPorts() {
      return (await clusterNodes())
        .filter((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.length > 0)
        .map((n) => n.port);
    },
    async moveSlot(key, toPort, batch = 50) {
      const slot = keySlot(key);
      const from = (await masterOf(key)).port;
      if (from === toPort) throw new Error(`cluster harness: slot ${slot} is on ${toPort} already`);
      const all = await clusterNodes();
      const idOf = (port: number) => all.find((n) => n.port === port)!.id;
      const masters = all.filter((n) => n.flags.includes('master') && !n.flags.includes('fail')).map((n) => n.port);
      const open = (port: number) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 3 });
      const [source, target] = [open(from), open(toPort)];
      let keysMoved = 0;
      try {
        await target.cluster('SETSLOT', slot, 'IMPORTING', idOf(from));
        await source.cluster('SETSLOT', slot, 'MIGRATING', idOf(toPort));
        for (;;) {
          const keys = (await source.cluster('GETKEYSINSLOT', slot, batch)) as string[];
          if (keys.length === 0) break;
          await source.call('MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...keys);
          keysMoved += keys.length;
        }
        // the target first, then the source, then the others (redis-cli's order)
        for (const port of [toPort, from, ...masters.filter((p) => p !== toPort && p !== from)]) {
          const node = open(port);
          try {
            await node.cluster('SETSLOT', slot, 'NODE', idOf(toPort));
          } finally {
            node.disconnect();
          }
        }
      } finally {
        source.disconnect();
        target.disconnect();
      }
      return { from, keysMoved };
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
  const slots = (await admin.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
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
