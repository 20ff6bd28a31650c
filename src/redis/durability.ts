// The opt-in durable mode: after a write, WAIT until that many replicas confirm it, or reject
// with ReplicationTimeoutError. Redis replicates asynchronously, so without it a failover to a
// replica can lose writes the master had acknowledged (docs/production.md, "Durability (WAIT)").
// It does not make Redis synchronous: a write that times out stays applied on the master.
import type { Redis } from 'ioredis';
import { InvalidOptionError, ReplicationTimeoutError } from '../errors.js';
import { checkOptionNames, positiveInt } from '../validate.js';
import { asCluster, slotNode } from './cluster.js';
import { redisAddress } from './redis-errors.js';

/**
 * Wait for replicas to confirm writes (`WAIT replicas timeoutMs`) before a call resolves.
 * `replicas`: how many must confirm (an integer >= 1); `timeoutMs`: how long to wait for them
 * (an integer >= 1, default 1000) before rejecting with ReplicationTimeoutError.
 */
export interface DurabilityOptions {
  replicas: number;
  /** @default 1000 */
  timeoutMs?: number;
}

export interface Durability {
  replicas: number;
  timeoutMs: number;
}

/** Checks a `durability` option (unknown keys refused); undefined when it is off. */
export function resolveDurability(where: string, value: DurabilityOptions | undefined): Durability | undefined {
  if (value === undefined) return undefined;
  checkOptionNames(where, value, ['replicas', 'timeoutMs'], 'durability.');
  if (value.replicas === undefined) throw new InvalidOptionError('durability.replicas is required: how many replicas must confirm a write');
  return {
    replicas: positiveInt('durability.replicas', value.replicas, 1, 1),
    timeoutMs: positiveInt('durability.timeoutMs', value.timeoutMs, 1000, 1),
  };
}

/**
 * Sends WAIT on `client` (it covers every write sent before it on that connection). Call it in
 * the same tick as the write it confirms: both go out in one round trip. Resolves when enough
 * replicas confirmed; rejects with ReplicationTimeoutError when fewer did.
 */
export async function waitForReplicas(client: Redis, durability: Durability): Promise<void> {
  const acknowledged = Number(await client.call('WAIT', durability.replicas, durability.timeoutMs));
  if (acknowledged < durability.replicas) {
    throw new ReplicationTimeoutError(redisAddress(client), durability.replicas, acknowledged, durability.timeoutMs);
  }
}

/**
 * A write followed by WAIT, pipelined. The write's failure comes first (nothing to confirm);
 * a WAIT that fails after a write that succeeded rejects the whole (the write is applied).
 * On a Redis Cluster WAIT has no key to route it by: it goes, once the write is answered, to
 * the connection of the master that serves `slotKey` — the one the write went through, so it
 * covers the write.
 */
export async function durably<T>(client: Redis, durability: Durability | undefined, write: () => Promise<T>, slotKey: string): Promise<T> {
  if (!durability) return write();
  const cluster = asCluster(client);
  if (cluster) {
    const result = await write();
    const node = slotNode(cluster, slotKey);
    if (!node) throw new ReplicationTimeoutError(`the master of ${slotKey}`, durability.replicas, 0, 0);
    await waitForReplicas(node, durability);
    return result;
  }
  const written = write();
  const confirmed = waitForReplicas(client, durability);
  confirmed.catch(() => undefined); // reported below, after the write's own outcome
  const result = await written;
  await confirmed;
  return result;
}
