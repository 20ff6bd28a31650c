// Which queues live under a prefix: what the dashboard, the CLI and the metrics handler list.
// Every Queue adds its name to the registry set `P:queues` when it gets ready (one SADD per
// Queue object, not per job), so listing reads one bounded set and never the keyspace. A queue
// written only by older versions, or whose registry entry was lost, is found by a SCAN for
// queue keys (`findQueues`): a full keyspace walk in bounded steps, for an operator's
// explicit request (`sluice queues --scan`, `sluice doctor`), never for a page refresh.
import type { Redis } from 'ioredis';
import { asCluster } from '../redis/cluster.js';

/** The most queue names a listing returns (a registry is a handful to some thousands). */
export const MAX_LISTED_QUEUES = 10_000;

/** The registry set of the queues under `prefix`. */
export function registryKey(prefix: string): string {
  return `${prefix}:queues`;
}

/**
 * Adds a queue (its logical name, never a partition's) to the registry. An ACL user allowed
 * only its queue's keys (`~P:{Q}:*`) may not write it: the queue then works unlisted.
 */
export async function registerQueue(client: Redis, prefix: string, name: string): Promise<void> {
  try {
    await client.sadd(registryKey(prefix), name);
  } catch (err) {
    if (!String((err as Error).message).includes('NOPERM')) throw err;
  }
}

/** Removes a queue from the registry (after obliterate). */
export async function unregisterQueue(client: Redis, prefix: string, name: string): Promise<void> {
  await client.srem(registryKey(prefix), name);
}

/** The registered queues under `prefix`, sorted, at most MAX_LISTED_QUEUES (read with SSCAN, in steps). */
export async function listQueues(client: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await client.sscan(registryKey(prefix), cursor, 'COUNT', 1000);
    for (const name of batch) names.add(name);
    cursor = next;
  } while (cursor !== '0' && names.size < MAX_LISTED_QUEUES);
  return [...names].sort().slice(0, MAX_LISTED_QUEUES);
}

/** The queue a key belongs to (`P:{Q}:…`; a partition's `P:{Q~k}:…` belongs to Q), or undefined. */
function queueOfKey(prefix: string, key: string): string | undefined {
  const start = `${prefix}:{`;
  const end = key.indexOf('}:', start.length);
  if (!key.startsWith(start) || end <= start.length) return undefined;
  // a partition's tag is `<queue>~<k>` and `~` is not allowed in queue names
  const tag = key.slice(start.length, end);
  return tag.split('~')[0];
}

/**
 * Walks the keyspace (every master of a cluster) for the keys of queues under `prefix`, in SCAN
 * steps of 1,000 keys, adds the queues found to the registry and returns every queue known.
 * O(keyspace): for an operator's explicit request only.
 */
export async function findQueues(client: Redis, prefix: string): Promise<string[]> {
  const cluster = asCluster(client);
  const nodes: Redis[] = cluster ? (cluster.nodes('master') as Redis[]) : [client];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:{*}:*`, 'COUNT', 1000);
      for (const key of keys) {
        const name = queueOfKey(prefix, key);
        if (name !== undefined) found.add(name);
      }
      cursor = next;
    } while (cursor !== '0');
  }
  if (found.size > 0) await client.sadd(registryKey(prefix), ...found);
  return listQueues(client, prefix);
}
