// A producer's calls on a Redis Cluster that cannot load its slot map (every node down, or an
// ACL user without cluster|slots) wait in ioredis's offline queue for as long as that lasts,
// which may be for ever; a standalone producer's give up after about 20 s (connection.ts,
// PRODUCER_RETRIES). This guard gives them up after as long: it rejects the calls queued so
// far with the refusal that stops the cluster when there is one (NOPERM naming the command),
// else as unreachable. The cluster goes on reconnecting, and later calls go through once it is
// back.
import type { Cluster } from 'ioredis';
import { lastingRefusal } from './redis-errors.js';

/** How long a producer's calls wait for a Cluster that cannot connect. */
export const CLUSTER_UNAVAILABLE_MS = 20_000;

/** The message ioredis gives a call it drops for want of a node (redis-errors.ts takes it as unreachable). */
const NO_NODE = 'None of startup nodes is available';

/** Rejects the calls queued on `cluster` once it has failed to connect for `afterMs`. */
export function giveUpQueuedCalls(cluster: Cluster, afterMs = CLUSTER_UNAVAILABLE_MS): void {
  // ioredis's own way to reject its offline queue (in 5 and 6; not in its typings)
  const flushQueue = (cluster as unknown as { flushQueue?: (err: Error) => void }).flushQueue;
  if (typeof flushQueue !== 'function') return;
  let failingSince: number | undefined;
  cluster.on('ready', () => {
    failingSince = undefined;
  });
  // every failed attempt to load the slot map is an error event, at least every 2 s
  cluster.on('error', (err: Error) => {
    if (cluster.status === 'ready' || cluster.status === 'end') return;
    const now = Date.now();
    failingSince ??= now;
    if (now - failingSince < afterMs) return;
    failingSince = now; // the calls made from now on get a round of their own
    flushQueue.call(cluster, lastingRefusal(err) ?? new Error(NO_NODE));
  });
}
