// Test harness: every test file gets its own Redis. It starts a private redis-server on a
// free port (or a testcontainers Redis where Docker exists and redis-server does not), or uses
// REDIS_URL when the user set it. It never flushes a Redis it did not start: tests isolate
// themselves with a unique prefix instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TestRedis {
  url: string;
  port: number;
  /** True when this harness started the server (fault tests need that). */
  owned: boolean;
  /** Stops the server with a signal (default SIGTERM: a clean shutdown that keeps the AOF). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
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

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function waitForPing(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout?.trim() === 'PONG') return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer within ${timeoutMs} ms`);
}

export async function startRedis(opts: { persistent?: boolean } = {}): Promise<TestRedis> {
  if (process.env.REDIS_URL) {
    const url = process.env.REDIS_URL;
    return {
      url,
      port: Number(new URL(url).port || 6379),
      owned: false,
      stop: async () => { throw new Error('cannot stop a Redis given by REDIS_URL'); },
      start: async () => undefined,
      close: async () => undefined,
    };
  }
  if (!hasRedisServer()) return startContainer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  let proc: ChildProcess | undefined;
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', opts.persistent ? 'yes' : 'no', '--appendfsync', 'always',
    '--maxmemory-policy', 'noeviction', '--logfile', join(dir, 'redis.log'),
  ];
  const start = async () => {
    proc = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPing(port, 10_000);
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    owned: true,
    stop,
    start,
    close: async () => {
      await stop('SIGKILL');
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startContainer(): Promise<TestRedis> {
  // Only where Docker exists and redis-server does not: testcontainers is an optional path.
  const moduleName = 'testcontainers';
  const { GenericContainer } = (await import(moduleName)) as typeof import('testcontainers');
  const container = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  const port = container.getMappedPort(6379);
  return {
    url: `redis://${container.getHost()}:${port}`,
    port,
    owned: true,
    stop: async () => { await container.stop(); },
    start: async () => { throw new Error('restart is not supported on the container path'); },
    close: async () => { await container.stop(); },
  };
}

export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}
