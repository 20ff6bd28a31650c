// Lifecycle of the private redis-server each benchmark turn runs against: a free loopback
// port, a temp dir, no persistence (--save '' --appendonly no), killed at the end. Also reads
// the INFO figures the bench reports: command calls (commandstats, which counts the commands
// run inside Lua too), Redis CPU time and used_memory.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { atExit, own, sleep } from './cleanup.js';

export interface RedisAddress {
  host: string;
  port: number;
}

/** A point-in-time reading of the counters we diff around a measured phase. */
export interface RedisSnapshot {
  /** Sum of calls over all cmdstat_* lines. */
  calls: number;
  /** used_cpu_sys + used_cpu_user, in µs. */
  cpuUs: number;
  usedMemory: number;
  /** Per command: calls and µs spent inside it (script calls include their inner commands). */
  commands: Record<string, { calls: number; usec: number }>;
}

export interface RedisDelta {
  calls: number;
  cpuUs: number;
  usedMemory: number;
  commands: Record<string, { calls: number; usec: number }>;
}

export interface RedisServer extends RedisAddress {
  url: string;
  version: string;
  snapshot(): Promise<RedisSnapshot>;
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export function parseInfo(text: string): RedisSnapshot {
  const fields = new Map<string, string>();
  const commands: RedisSnapshot['commands'] = {};
  let calls = 0;
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.startsWith('#')) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (key.startsWith('cmdstat_')) {
      const c = Number(/(?:^|,)calls=(\d+)/.exec(value)?.[1] ?? 0);
      const usec = Number(/(?:^|,)usec=(\d+)/.exec(value)?.[1] ?? 0);
      commands[key.slice('cmdstat_'.length)] = { calls: c, usec };
      calls += c;
    } else {
      fields.set(key, value);
    }
  }
  const cpuSec = Number(fields.get('used_cpu_sys') ?? 0) + Number(fields.get('used_cpu_user') ?? 0);
  return { calls, cpuUs: Math.round(cpuSec * 1e6), usedMemory: Number(fields.get('used_memory') ?? 0), commands };
}

/** b − a. Our own INFO call between the two snapshots is taken out of the counts. */
export function diffSnapshots(a: RedisSnapshot, b: RedisSnapshot): RedisDelta {
  const commands: RedisDelta['commands'] = {};
  for (const [name, after] of Object.entries(b.commands)) {
    const before = a.commands[name] ?? { calls: 0, usec: 0 };
    const calls = after.calls - before.calls - (name === 'info' ? 1 : 0);
    if (calls > 0) commands[name] = { calls, usec: after.usec - before.usec };
  }
  return { calls: b.calls - a.calls - 1, cpuUs: b.cpuUs - a.cpuUs, usedMemory: b.usedMemory - a.usedMemory, commands };
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-redis-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const unregister = atExit(removeDir);
  const proc = own(
    spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    ),
  );
  let spawnError: Error | undefined;
  proc.on('error', (err) => (spawnError = err));
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (spawnError) throw new Error(`could not start redis-server: ${spawnError.message} (is it on PATH?)`);
    if (proc.exitCode !== null) throw new Error(`redis-server exited with code ${proc.exitCode}; see ${dir}/redis.log`);
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    await sleep(20);
  }
  const admin = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
  await admin.connect();
  const serverInfo = await admin.info('server');
  const version = /redis_version:(\S+)/.exec(serverInfo)?.[1] ?? 'unknown';
  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    version,
    async snapshot() {
      return parseInfo(await admin.info('commandstats', 'cpu', 'memory'));
    },
    async flushAll() {
      await admin.flushall();
    },
    async close() {
      admin.disconnect();
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGKILL');
        await Promise.race([exited, sleep(5_000)]);
      }
      removeDir();
      unregister();
    },
  };
}
