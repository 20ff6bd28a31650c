// Finds a Redis for the demo, in this order:
//   1. REDIS_URL, when set;
//   2. redis://127.0.0.1:6379, when it answers PING (skipped with SLUICE_DEMO_EMBEDDED=1);
//   3. a private redis-server (from PATH) on a free loopback port with a temporary directory,
//      stopped again by stop() and, as a last resort, when the process exits.
// With none of these (or a REDIS_URL that does not answer) it throws NoRedisError, whose
// message says how to get one.
// A Redis it did not start is only ever used, never flushed: the demo isolates itself with a
// unique key prefix and deletes just its own queue.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

export interface DemoRedis {
  url: string;
  /** Where it came from, for the demo's banner. */
  source: 'REDIS_URL' | 'local' | 'embedded';
  /** Stops the embedded server (a no-op for a Redis the demo did not start). */
  stop(): Promise<void>;
}

export class NoRedisError extends Error {}

const howToGetRedis = (probed: boolean) =>
  'No Redis found: REDIS_URL is not set, ' +
  `${probed ? 'nothing answers PING on 127.0.0.1:6379' : '127.0.0.1:6379 was not tried (SLUICE_DEMO_EMBEDDED=1)'}, ` +
  'and there is no redis-server on PATH to start a private one. Get one of these: run `docker compose up -d` ' +
  'in this directory (starts Redis 7 on port 6379), or install the OS package ' +
  '(`sudo apt-get install redis-server` on Debian/Ubuntu, `brew install redis` on macOS), ' +
  'or point REDIS_URL at a Redis you have (e.g. REDIS_URL=redis://host:6379 npm run demo).';

/** True when host:port answers PING with PONG within timeoutMs (a raw socket, no client). */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
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

async function startEmbedded(): Promise<DemoRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-redis-'));
  const logfile = join(dir, 'redis.log');
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--logfile',
    logfile,
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
  ];
  // Its own process group: a Ctrl-C in the terminal reaches the demo, which closes the workers
  // first and then stops this server, instead of Redis vanishing under running workers.
  const proc: ChildProcess = spawn('redis-server', args, { stdio: 'ignore', detached: true });
  let exited = false;
  proc.on('exit', () => (exited = true));
  const cleanup = () => {
    if (!exited) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  // Last resort when the demo exits without calling stop() (an uncaught error, process.exit).
  process.once('exit', cleanup);

  const deadline = Date.now() + 5000;
  while (!(await pingRedis(port))) {
    if (exited || Date.now() > deadline) {
      let log = '';
      try {
        log = readFileSync(logfile, 'utf8').trim().split('\n').slice(-5).join('\n');
      } catch {
        // no log written
      }
      cleanup();
      process.off('exit', cleanup);
      throw new Error(`the embedded redis-server on port ${port} did not start${log ? `:\n${log}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        cleanup();
        process.off('exit', cleanup);
        resolve();
      };
      const timer = setTimeout(finish, 2000);
      if (exited) return finish();
      proc.once('exit', finish);
      proc.kill('SIGTERM');
    }));
  return { url: `redis://127.0.0.1:${port}`, source: 'embedded', stop };
}

/** Fails fast, with a readable message, when the given URL does not answer (ioredis: auth, TLS). */
async function checkUrl(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | undefined;
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new NoRedisError(
      `REDIS_URL=${url} does not answer (${(cause ?? (err as Error)).message}); ` +
        'start that Redis, fix the URL, or unset REDIS_URL to let the demo find or start one.',
    );
  } finally {
    client.disconnect();
  }
}

export async function resolveRedis(): Promise<DemoRedis> {
  const none = async () => undefined;
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    await checkUrl(fromEnv);
    return { url: fromEnv, source: 'REDIS_URL', stop: none };
  }
  const probe = process.env.SLUICE_DEMO_EMBEDDED !== '1';
  if (probe && (await pingRedis(6379))) return { url: 'redis://127.0.0.1:6379', source: 'local', stop: none };
  if (!hasRedisServer()) throw new NoRedisError(howToGetRedis(probe));
  return startEmbedded();
}
