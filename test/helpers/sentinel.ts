// Test harness for Redis Sentinel: starts a private master, one replica (`--replicaof`) and three
// sentinels (`redis-server <conf> --sentinel`, each with a temporary config file, since a
// sentinel rewrites its config) on free loopback ports with temporary directories; waits until
// the replica is in sync and every sentinel knows the replica and the two other sentinels (a
// failover needs their votes); and stops them all afterwards. It never touches a Redis it did
// not start. Fault tests kill the current master (killMaster), wait for the promotion, and may
// start the killed server again (restartData: as a replica of the master the sentinels name).
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FreezableProxy, startProxy } from './proxy.js';
import { freePort } from './redis.js';
import { ask, until } from './servers.js';

/** The master name the sentinels monitor. */
export const MASTER_NAME = 'm';

export interface TestSentinel {
  /** The master name to connect with (`name` of ioredis's sentinel options). */
  readonly name: string;
  /** The sentinels, for ioredis's `sentinels` option. */
  readonly sentinels: { host: string; port: number }[];
  /** ioredis options that connect through the sentinels. */
  readonly connection: { sentinels: { host: string; port: number }[]; name: string };
  /** The ports of the data servers, first the one started as master. */
  readonly dataPorts: number[];
  /** The port the sentinels currently name as master (asks the first sentinel that answers). */
  masterPort(): Promise<number>;
  /** SIGKILLs the process on the current master's port; resolves once it exited. Returns that port. */
  killMaster(): Promise<number>;
  /**
   * Starts the data server killMaster() killed again, on its port and directory, as a replica of
   * the master the sentinels name (as an orchestrator brings a failed master back); resolves
   * once its link is up. Started as it was, a server without persistence would come back an
   * empty master and take writes until the sentinels demote it (up to 10 s, all of them lost):
   * docs/production.md.
   */
  restartData(port: number, timeoutMs?: number): Promise<void>;
  /** Waits until the sentinels name another master than `oldPort` and that server answers as master. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /**
   * With `lagging`: stops the replication stream to every replica (their proxies drop it, the
   * links stay open), so that the master acknowledges writes no replica gets.
   */
  freezeReplication(): void;
  /**
   * Stops every process (SIGKILL) and deletes their directories; idempotent. With `keepLogsIn`,
   * each server's and sentinel's log is copied there first (`<port>-<file>`), for a failed run.
   */
  stop(opts?: { keepLogsIn?: string }): Promise<void>;
}

interface Proc {
  port: number;
  dir: string;
  proc: ChildProcess;
  /** What it was started with, for restartData(). */
  args: string[];
}

const running = new Set<Proc>();
let exitHook = false;
function track(p: Proc): void {
  running.add(p);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const n of running) {
      if (n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL');
      rmSync(n.dir, { recursive: true, force: true });
    }
  });
}

function launch(args: string[], port: number, dir: string): Proc {
  const proc = spawn('redis-server', args, { stdio: 'ignore' });
  proc.unref();
  const p = { port, dir, proc, args };
  track(p);
  return p;
}

async function startData(replicaOf?: number): Promise<Proc> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sentinel-data-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, 'redis.log')];
  args.push('--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction');
  // a replica's full sync starts at once (Redis waits 5 s by default for more replicas to share it)
  args.push('--repl-diskless-sync-delay', '0');
  if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
  const p = launch(args, port, dir);
  await until(`redis-server on ${port} to answer`, 10_000, async () => (await ask(port, 'PING')) === 'PONG');
  return p;
}

async function startSentinel(masterPort: number, failoverTimeoutMs: number): Promise<Proc> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sentinel-'));
  const conf = join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} ${failoverTimeoutMs}`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n'),
  );
  const p = launch([conf, '--sentinel'], port, dir);
  await until(`sentinel on ${port} to answer`, 10_000, async () => (await ask(port, 'PING')) === 'PONG');
  return p;
}

async function stopProc(p: Proc, keepLogsIn?: string): Promise<void> {
  if (p.proc.exitCode === null && p.proc.signalCode === null) {
    p.proc.ref();
    await new Promise<void>((resolve) => {
      p.proc.once('exit', () => resolve());
      p.proc.kill('SIGKILL');
    });
  }
  running.delete(p);
  if (keepLogsIn) {
    for (const file of ['redis.log', 'sentinel.log', 'sentinel.conf']) {
      try {
        cpSync(join(p.dir, file), join(keepLogsIn, `${p.port}-${file}`));
      } catch {
        // a data server has no sentinel files, a sentinel no redis.log
      }
    }
  }
  rmSync(p.dir, { recursive: true, force: true });
}

const field = (info: unknown, name: string): string | undefined => new RegExp(`\\r?\\n?${name}:([^\\r\\n]*)`).exec(String(info))?.[1];

/**
 * A master with one replica (or `replicas` of them) and three sentinels (quorum 2, down after
 * 1 s, failover timeout 5 s). With `lagging`, each replica replicates through a proxy that
 * freezeReplication() freezes; the failover timeout is then 60 s, because a sentinel points a
 * replica whose master port is not the master's (the proxy's) at the master itself once a
 * failover timeout passed.
 */
export async function startSentinelSet(opts: { replicas?: number; lagging?: boolean } = {}): Promise<TestSentinel> {
  const started: Proc[] = [];
  const proxies: FreezableProxy[] = [];
  const count = opts.replicas ?? 1;
  try {
    const master = await startData();
    started.push(master);
    for (let i = 0; i < count; i++) {
      let upstream = master.port;
      if (opts.lagging) {
        const proxy = await startProxy(master.port);
        proxies.push(proxy);
        upstream = Number(new URL(proxy.url).port);
      }
      const replica = await startData(upstream);
      started.push(replica);
      await until('the replica to be in sync', 15_000, async () => {
        const info = await ask(replica.port, 'INFO', 'replication');
        return field(info, 'master_link_status') === 'up';
      });
    }
    const sentinels: Proc[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await startSentinel(master.port, opts.lagging ? 60_000 : 5000);
      started.push(s);
      sentinels.push(s);
    }
    await until('every sentinel to know the replica and the other sentinels', 30_000, async () => {
      for (const s of sentinels) {
        const replicas = (await ask(s.port, 'SENTINEL', 'REPLICAS', MASTER_NAME)) as unknown[] | undefined;
        const others = (await ask(s.port, 'SENTINEL', 'SENTINELS', MASTER_NAME)) as unknown[] | undefined;
        if (!replicas || replicas.length < count || !others || others.length < 2) return false;
      }
      return true;
    });
    const list = sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
    const byPort = new Map(started.map((p) => [p.port, p]));
    const masterPort = async (): Promise<number> => {
      for (const s of sentinels) {
        const reply = (await ask(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME)) as string[] | undefined;
        if (reply?.[1]) return Number(reply[1]);
      }
      throw new Error('sentinel harness: no sentinel answered');
    };
    let stopped = false;
    return {
      name: MASTER_NAME,
      sentinels: list,
      connection: { sentinels: list, name: MASTER_NAME },
      dataPorts: started.filter((p) => !sentinels.includes(p)).map((p) => p.port),
      masterPort,
      killMaster: async () => {
        const port = await masterPort();
        const p = byPort.get(port);
        if (!p) throw new Error(`sentinel harness: the master on ${port} is not ours`);
        p.proc.ref();
        await new Promise<void>((resolve) => {
          if (p.proc.exitCode !== null || p.proc.signalCode !== null) return resolve();
          p.proc.once('exit', () => resolve());
          p.proc.kill('SIGKILL');
        });
        return port;
      },
      restartData: async (port, timeoutMs = 30_000) => {
        const p = byPort.get(port);
        if (!p || sentinels.includes(p)) throw new Error(`sentinel harness: no data server of ours on ${port}`);
        if (p.proc.exitCode === null && p.proc.signalCode === null) throw new Error(`sentinel harness: ${port} is running`);
        const master = await masterPort();
        if (master === port) throw new Error(`sentinel harness: the sentinels still name ${port} as master`);
        const at = p.args.indexOf('--replicaof');
        const args = at < 0 ? [...p.args] : [...p.args.slice(0, at), ...p.args.slice(at + 3)];
        args.push('--replicaof', '127.0.0.1', String(master));
        p.args = args;
        const again = launch(args, port, p.dir);
        running.delete(p);
        p.proc = again.proc;
        running.delete(again);
        running.add(p);
        await until(`the server on ${port} to be a replica in sync`, timeoutMs, async () => {
          const info = await ask(port, 'INFO', 'replication');
          return field(info, 'role') === 'slave' && field(info, 'master_link_status') === 'up';
        });
      },
      waitForFailover: async (oldPort, timeoutMs = 30_000) => {
        let next = oldPort;
        await until('the sentinels to promote the replica', timeoutMs, async () => {
          next = await masterPort().catch(() => oldPort);
          if (next === oldPort) return false;
          return field(await ask(next, 'INFO', 'replication'), 'role') === 'master';
        });
        return next;
      },
      freezeReplication: () => {
        if (proxies.length === 0) throw new Error('sentinel harness: started without lagging');
        for (const proxy of proxies) proxy.freeze();
      },
      stop: async (stopOpts = {}) => {
        if (stopped) return;
        stopped = true;
        const keep = stopOpts.keepLogsIn;
        // sentinels first, so that none reconfigures a data server on the way out
        await Promise.all(sentinels.map((p) => stopProc(p, keep)));
        await Promise.all(started.filter((p) => !sentinels.includes(p)).map((p) => stopProc(p, keep)));
        await Promise.all(proxies.map((p) => p.close()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((p) => stopProc(p)));
    await Promise.all(proxies.map((p) => p.close()));
    throw err;
  }
}
