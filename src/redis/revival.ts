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

/**
 * Whether a call that failed with `err` was rejected by ioredis ending `client` by itself (see
 * the header), so that reviveWhenEnded connects it again. Only the caller knows whether the call
 * was ever sent (sendProbe, redis-errors.ts): only then may it go again.
 */
export function endedByIoredis(client: Redis, err: unknown): boolean {
  return (
    revivable.has(client) &&
    !endedOnPurpose.has(client) &&
    err instanceof Error &&
    err.message === 'Connection is closed.' &&
    client.status !== 'ready'
  );
}

/**
 * Resolves true once `client` is ready again, false when sluice ends it on purpose first or
 * `timeoutMs` passes.
 */
export function reconnected(client: Redis, timeoutMs: number): Promise<boolean> {
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
