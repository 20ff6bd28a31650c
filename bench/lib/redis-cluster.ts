// A private Redis Cluster for the partitions scenario: M masters, no replicas, each a
// redis-server on a free loopback port (and a free cluster-bus port, --cluster-port, since
// port + 10000 may not be free or valid) with no persistence, all in one temp dir; joined with
// `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes` (equal, contiguous slot
// ranges), ready once every node says cluster_state:ok. Killed and removed by close(), and at
// exit like every bench server (cleanup.ts). Gives per-master INFO snapshots (redis-server.ts)
// and which master serves a key's slot.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { keySlot } from '../../src/redis/cluster.js';
import { atExit, own, sleep } from './cleanup.js';
import { freePort, parseInfo, ping, type RedisAddress, type RedisSnapshot } from './redis-server.js';

const run = promisify(execFile);

export interface ClusterMaster extends RedisAddress {
  /** The slot ranges this master serves, [from, to] inclusive. */
  slots: [number, number][];
  snapshot(): Promise<RedisSnapshot>;
}

export interface RedisCluster {
  masters: ClusterMaster[];
  /** redis://127.0.0.1:<port> of every master: the seeds a client is given. */
  seeds: string[];
  version: string;
  /** Index in `masters` of the master that serves `key`'s slot. */
  masterOf(key: string): number;
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`redis cluster: no ${what} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function startRedisCluster(masters: number): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-cluster-'));
  const procs: ChildProcess[] = [];
  const admins: Redis[] = [];
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = atExit(removeDir);
  const close = async () => {
    for (const a of admins.splice(0)) a.disconnect();
    await Promise.all(
      procs.splice(0).map(async (proc) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGKILL');
        await Promise.race([exited, sleep(5_000)]);
      }),
    );
    removeDir();
    unregister();
  };
  try {
    const ports: number[] = [];
    const taken = new Set<number>();
    const pick = async () => {
      let p = await freePort();
      while (taken.has(p)) p = await freePort();
      taken.add(p);
      return p;
    };
    for (let m = 0; m < masters; m++) {
      const port = await pick();
      const busPort = await pick();
      ports.push(port);
      // biome-ignore format: one flag and its value per line pair reads better
      const args = [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(busPort),
        '--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no', '--dir', dir,
        '--maxmemory-policy', 'noeviction', '--logfile', join(dir, `redis-${port}.log`),
      ];
      const proc = own(spawn('redis-server', args, { stdio: 'ignore' }));
      procs.push(proc);
      let spawnError: Error | undefined;
      proc.on('error', (err) => (spawnError = err));
      await until(`answer from redis-server on ${port}`, 10_000, async () => {
        if (spawnError) throw new Error(`could not start redis-server: ${spawnError.message} (is it on PATH?)`);
        if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}; see ${dir}/redis-${port}.log`);
        return ping(port);
      });
    }
    const addresses = ports.map((p) => `127.0.0.1:${p}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (const port of ports) {
      const admin = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
      admins.push(admin);
      await admin.connect();
    }
    await until('cluster_state:ok on every node', 20_000, async () => {
      const states = await Promise.all(admins.map((a) => a.cluster('INFO') as Promise<string>));
      return states.every((s) => s.includes('cluster_state:ok'));
    });
    const slotMap = (await admins[0]!.cluster('SLOTS')) as unknown as [number, number, [string, number]][];
    const version = /redis_version:(\S+)/.exec(await admins[0]!.info('server'))?.[1] ?? 'unknown';
    const list: ClusterMaster[] = ports.map((port, i) => ({
      host: '127.0.0.1',
      port,
      slots: slotMap.filter((r) => r[2][1] === port).map((r): [number, number] => [r[0], r[1]]),
      snapshot: async () => parseInfo(await admins[i]!.info('commandstats', 'cpu', 'memory')),
    }));
    return {
      masters: list,
      seeds: ports.map((p) => `redis://127.0.0.1:${p}`),
      version,
      masterOf(key) {
        const slot = keySlot(key);
        const i = list.findIndex((m) => m.slots.some(([a, b]) => slot >= a && slot <= b));
        if (i < 0) throw new Error(`redis cluster: no master serves slot ${slot}`);
        return i;
      },
      async flushAll() {
        await Promise.all(admins.map((a) => a.flushall()));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
