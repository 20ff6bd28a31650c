// Small tools for the semantic tests: a raw ioredis client on the test's Redis (to look at keys
// or plant records), a gate a processor can wait on, and INFO commandstats parsing.
import { afterEach } from 'vitest';
import { Redis, type RedisOptions } from 'ioredis';

/** Raw clients on the test Redis, closed after each test. */
export function useRawClients(url: () => string) {
  const open: Redis[] = [];
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
  });
  return (opts: RedisOptions = {}): Redis => {
    const client = new Redis(url(), { maxRetriesPerRequest: 1, ...opts });
    open.push(client);
    return client;
  };
}

export interface Gate<T = void> {
  promise: Promise<T>;
  open(value: T): void;
  opened: boolean;
}

/** A promise that a test resolves when it chooses. */
export function gate<T = void>(): Gate<T> {
  let open!: (value: T) => void;
  const g = {
    opened: false,
    promise: new Promise<T>((resolve) => (open = resolve)),
    open: (value: T) => {
      g.opened = true;
      open(value);
    },
  };
  return g;
}

/** Rejects with the signal's reason once it aborts (a processor that stops only when told). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** INFO commandstats as { command: calls }. */
export async function commandStats(client: Redis): Promise<Record<string, number>> {
  const text = await client.info('commandstats');
  const stats: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) stats[m[1]!] = Number(m[2]);
  }
  return stats;
}

/** Script calls (EVALSHA and EVAL) Redis has run so far. */
export async function scriptCalls(client: Redis): Promise<number> {
  const stats = await commandStats(client);
  return (stats.evalsha ?? 0) + (stats.eval ?? 0);
}

/** Redis time in ms. */
export async function redisNow(client: Redis): Promise<number> {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}
