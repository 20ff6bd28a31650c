// A Sentinel client that ioredis ends by itself is connected again, and the calls that ending
// rejected without sending them can wait for that and go again.
//
// ioredis ends a Sentinel client for good (status 'end') when the failover detector of its last
// connection fires while it is reconnecting: the announced failover cancels the connect in
// progress (SentinelConnector: "Connection is closed."), every command queued offline is
// rejected with that message, and nothing reconnects it. A master's failover does exactly that,
// now and then (in one `npm run chaos` run, most likely, a producer's thousand adds queued
// through a failover were rejected at once), where a producer should wait through a failover of
// up to ~10 s (connection.ts). Invariant 12 (docs/invariants.md): a worker never dies of Redis.
import type { Redis } from 'ioredis';
import { sendProbe } from './redis-errors.js';

/**
 * A call that ending rejected unsent goes again once the client is connected: up to this many
 * sends, each waiting up to a producer's failover budget (about 10 s, connection.ts).
 */
const SENDS = 3;
const RECONNECT_WAIT_MS = 10_000;

/** Clients sluice ends on purpose (closeClient, cutConnection): they stay ended. */
const endedOnPurpose = new WeakSet<object>();
/** Clients reviveWhenEnded watches. */
const revivable = new WeakSet<object>();
/** Calls waiting for a client to be connected again (reconnected), told when sluice ends it. */
const waiting = new WeakMap<object, Set<() => void>>();

/** Marks a client sluice is ending itself: it is not connected again, and nothing waits for it. */
export function endOnPurpose(client: Redis): void {
  endedOnPurpose.add(client);
  for (const giveUp of waiting.get(client) ?? []) giveUp();
}

/** Connects `client` again whenever ioredis ends it by itself (a Sentinel client sluice owns). */
export function reviveWhenEnded(client: Redis): void {
  revivable.add(client);
  client.on('end', () => {
    if (endedOnPurpose.has(client)) return;
    const timer = setTimeout(() => {
      if (!endedOnPurpose.has(client) && client.status === 'end') client.connect().catch(() => undefined);
    }, 100);
    timer.unref();
  });
}

/** Whether a call that failed with `err` was rejected by ioredis ending `client` by itself (see the header). */
function endedByIoredis(client: Redis, err: unknown): boolean {
  return (
    revivable.has(client) &&
    !endedOnPurpose.has(client) &&
    err instanceof Error &&
    err.message === 'Connection is closed.' &&
    client.status !== 'ready'
  );
}

/** Resolves true once `client` is ready again, false when sluice ends it on purpose first or `timeoutMs` passes. */
function reconnected(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  if (endedOnPurpose.has(client)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const waiters = waiting.get(client) ?? new Set();
    waiting.set(client, waiters);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      waiters.delete(giveUp);
      resolve(ok);
    };
    const onReady = () => done(true);
    const giveUp = () => done(false);
    const timer = setTimeout(giveUp, timeoutMs);
    client.on('ready', onReady);
    waiters.add(giveUp);
  });
}

/**
 * `send()` (a producer's write: an enqueue with its WAIT, a flow's add), sent again when ioredis
 * rejected it unsent by ending `client` (see the header), once the client is connected again.
 * Unsent, it cannot have been applied: sending it again writes it once. `closed()` says the
 * caller is closing (then the failure is reported as it is).
 */
export async function sendAgainIfEnded<T>(client: Redis, send: () => Promise<T>, closed: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const neverSent = sendProbe(client);
    try {
      return await send();
    } catch (err) {
      const again =
        attempt < SENDS && endedByIoredis(client, err) && neverSent() && !closed() && (await reconnected(client, RECONNECT_WAIT_MS));
      if (!again) throw err;
    }
  }
}
