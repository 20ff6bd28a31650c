// Structural proofs of bounded work: the commands Redis ran (INFO commandstats counts those run
// inside Lua too) around one step, and direct script calls for the steps that the public API
// loops over.
import type { Redis } from 'ioredis';
import { queueKeys, type QueueKeys } from '../../src/redis/keys.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts } from '../../src/redis/scripts.js';
import { commandStats } from './tools.js';

export const LEASE_CONFIG = JSON.stringify({ leaseMs: 600_000, maxStalls: 3, keepFailed: [100, -1] });

/** Commands (lower case) run while `fn` ran: { command: calls }. */
export async function counted<T>(client: Redis, fn: () => Promise<T>): Promise<{ value: T; calls: Record<string, number> }> {
  const before = await commandStats(client);
  const value = await fn();
  const after = await commandStats(client);
  const calls: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) {
    const d = n - (before[name] ?? 0) - (name === 'info' ? 1 : 0);
    if (d > 0) calls[name] = d;
  }
  return { value, calls };
}

/** The scripts of queue `name` under `prefix`, on `client`. */
export function scriptsFor(client: Redis, prefix: string, name: string): { scripts: Scripts; keys: QueueKeys; ring: string } {
  registerScripts(client);
  const keys = queueKeys(prefix, name);
  return { scripts: new Scripts(client, keys), keys, ring: `${keys.base}g:default:keys` };
}
