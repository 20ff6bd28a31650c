// Finds a Redis for the demo, in this order:
//   1. REDIS_URL, when set;
//   2. redis://127.0.0.1:6379, when it answers PING (skipped with SLUICE_DEMO_EMBEDDED=1);
//   3. a private redis-server (from PATH) on a free loopback port with a temporary directory,
//      stopped again by stop() and, as a last resort, when the process exits.
// With none of these (or a REDIS_URL that does not answer) it throws NoRedisError, whose
// message says how to get one.
// A Redis it did not start is only ever used, never flushed: the demo isolates itself with a
// unique key prefix and deletes just its own queue.
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { NoRedisServerError, startRedis } from '../src/testing/redis-server.js';

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

/** A private redis-server on a free port: sluice/testing's, in its own process group. */
async function startEmbedded(probed: boolean): Promise<DemoRedis> {
  try {
    // its own process group: a Ctrl-C in the terminal reaches the demo, which closes the workers
    // first and then stops this server, instead of Redis vanishing under running workers
    const redis = await startRedis({ url: null, ownProcessGroup: true, startTimeoutMs: 5000 });
    return { url: redis.url, source: 'embedded', stop: () => redis.stop() };
  } catch (err) {
    if (err instanceof NoRedisServerError) throw new NoRedisError(howToGetRedis(probed));
    throw err;
  }
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
  return startEmbedded(probe);
}
