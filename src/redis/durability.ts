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

/** The socket a client's commands go through now: ioredis makes a new one on each reconnection. */
const socketOf = (client: Redis): unknown => (client as unknown as { stream?: unknown }).stream;

const DROPPED = 'the connection to the master dropped between the write and the WAIT that confirms it';

/**
 * Sends WAIT on `client` (it covers every write sent before it on that connection). Resolves
 * with how many replicas confirmed, and the connection that answered (its socket, read when the
 * reply came).
 */
async function askReplicas(client: Redis, durability: Durability): Promise<{ acknowledged: number; on: unknown }> {
  const acknowledged = Number(await client.call('WAIT', durability.replicas, durability.timeoutMs));
  return { acknowledged, on: socketOf(client) };
}

/**
 * Rejects with ReplicationTimeoutError when fewer replicas than asked for confirmed, or when
 * the WAIT was answered on another connection than the write: ioredis resends an unanswered
 * command after a reconnection, and a WAIT resent alone, on a connection that wrote nothing,
 * confirms nothing: after a failover the promoted replica's own replicas confirm it at once. The
 * chaos scenario sentinel-failover lost adds acknowledged that way, their master killed between
 * the write's reply and the WAIT's.
 */
function checkConfirmed(client: Redis, durability: Durability, asked: { acknowledged: number; on: unknown }, writtenOn: unknown): void {
  const address = redisAddress(client);
  if (asked.on !== writtenOn) throw new ReplicationTimeoutError(address, durability.replicas, 0, durability.timeoutMs, DROPPED);
  if (asked.acknowledged < durability.replicas) {
    throw new ReplicationTimeoutError(address, durability.replicas, asked.acknowledged, durability.timeoutMs);
  }
}

/**
 * A write, then WAIT once it is answered: a WAIT covers the writes sent before it on its
 * connection, and a write is not always sent when it is called. ioredis sends a script call
 * again as EVAL after NOSCRIPT (a SCRIPT FLUSH on the connection), behind a WAIT pipelined after
 * it, which then confirmed an older offset (test/faults/durable-wait.test.ts); waiting for the
 * reply costs one round trip more per enqueue call, which the adds of a tick share. The write's
 * failure is reported as it is (nothing to confirm); a WAIT that fails after a write that
 * succeeded rejects the whole (the write is applied). On a Redis Cluster WAIT has no key to
 * route it by: it goes to the connection of the master that serves `slotKey`, the one the write
 * went through.
 */
export async function durably<T>(client: Redis, durability: Durability | undefined, write: () => Promise<T>, slotKey: string): Promise<T> {
  if (!durability) return write();
  const result = await write();
  const cluster = asCluster(client);
  const node = cluster ? slotNode(cluster, slotKey) : client;
  if (!node) throw new ReplicationTimeoutError(`the master of ${slotKey}`, durability.replicas, 0, 0);
  // the connection as the write's reply left it (read in the tick the reply came: a
  // reconnection is a later event)
  const writtenOn = socketOf(node);
  checkConfirmed(node, durability, await askReplicas(node, durability), writtenOn);
  return result;
}
