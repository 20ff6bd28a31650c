// How the CLI reaches Redis: one ioredis client that fails fast (one connection attempt with a
// short timeout, no reconnection: a command line must not sit through ioredis's retries), the
// address written without its password, and whether a queue exists at all (an unknown queue is
// an error, not a page of zeros). Opening a Queue never writes: existence is checked first.
import { Redis } from 'ioredis';
import { Queue } from '../queue/queue.js';
import { registryKey } from '../ops/queue-registry.js';
import { queueKeys } from '../redis/keys.js';
import type { Logger } from '../logger.js';
import { UnreachableError } from './exit-codes.js';
import { newCluster } from '../redis/cluster.js';

/** How long the CLI waits, by default, to connect and for each reply before it reports Redis unavailable (--timeout). */
export const DEFAULT_TIMEOUT_MS = 5000;

/** A logger that says nothing: the CLI reports errors itself, on one line. */
export const SILENT: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The URL with its password (and user) replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** The connection error's own words (ECONNREFUSED, ENOTFOUND, a TLS or AUTH problem). */
function reason(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  const inner = e.errors?.[0]?.message;
  return (inner ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim();
}

/**
 * A connected client, or UnreachableError (exit 4) within about `timeoutMs`. Each command is
 * given `timeoutMs` too: a connection that went silent (a half-open socket) fails the command.
 */
export async function connectRedis(url: string, timeoutMs = DEFAULT_TIMEOUT_MS, cluster = false): Promise<Redis> {
  const failFast = {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    // INFO may be refused to an ACL user (ioredis would print a warning for it)
    enableReadyCheck: false,
    // no 2 s timer left behind by disconnect() when the socket is already gone
    disconnectTimeout: 0,
  };
  let client: Redis;
  try {
    client = cluster
      ? // a Cluster reads its slots from the seed, then talks to the nodes as sluice's own clients do
        (newCluster(
          [url],
          { lazyConnect: true, clusterRetryStrategy: () => null, enableOfflineQueue: true },
          { redisOptions: failFast },
        ) as unknown as Redis)
      : new Redis(url, { ...failFast, lazyConnect: true, enableOfflineQueue: true });
  } catch (err) {
    throw new UnreachableError(`cannot reach Redis at ${redactUrl(url)} (${reason(err)})`);
  }
  // errors reach the caller through the rejected calls (an unhandled 'error' would crash); the
  // first one says why connecting failed (connect() itself only says "Connection is closed")
  let first: unknown;
  client.on('error', (err) => {
    first ??= err;
  });
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.disconnect();
    throw new UnreachableError(`cannot reach Redis at ${redactUrl(url)} (${reason(first ?? err)})`);
  }
}

/**
 * Whether queue `name` exists under `prefix`: listed in the registry, or any of its own keys
 * (a queue written before the registry, or whose entry was lost). A few bounded reads.
 */
export async function queueExists(client: Redis, prefix: string, name: string): Promise<boolean> {
  if ((await client.sismember(registryKey(prefix), name)) === 1) return true;
  const k = queueKeys(prefix, name);
  return (await client.exists(k.meta, k.stream, k.groups, k.delayed, k.schedulers, k.id, k.events)) > 0;
}

/** A Queue on the CLI's client (which it does not close: the CLI does). */
export function openQueue(client: Redis, prefix: string, name: string): Queue {
  return new Queue(name, { connection: client, prefix, evictionPolicy: 'ignore', logger: SILENT });
}
