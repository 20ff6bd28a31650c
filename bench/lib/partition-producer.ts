// The partitions scenario's producer, bench-local while the Queue cannot route adds over
// partitions yet: it enqueues straight into each partition through the partition's own enqueue
// script (src/redis/scripts.ts, as test/helpers/partitions.ts does), `batch` jobs per call,
// jobs dealt round robin over the partitions (layout.ts roundRobin), with the same encoded
// options the Queue would store for `defaultJobOptions: { removeOnComplete: true }`.
//
// TODO(partitions): once the Queue takes the `partitions` option (QueueOptions.partitions,
// being written on another branch), flip PRODUCE_WITH to 'queue': the jobs then go through
// `new Queue(name, { connection, partitions, defaultJobOptions }).addBulk(...)`, and this
// scripts path can go.
import { Cluster, Redis } from 'ioredis';
import { Queue, type QueueOptions } from '../../src/index.js';
import { partitionKeys, roundRobin } from '../../src/partitions/layout.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts, type EnqueueItem } from '../../src/redis/scripts.js';
import { payload, type Payload } from '../adapters/types.js';

const PRODUCE_WITH = 'scripts' as 'scripts' | 'queue';

export interface PartitionTarget {
  /** Cluster seeds (redis:// URLs), or one standalone Redis. */
  connection: string[] | { host: string; port: number };
  prefix: string;
  queue: string;
  partitions: number;
}

/**
 * Adds `jobs` bench payloads (removed on completion) to the queue's partitions, `batch` per call;
 * returns how many each partition got (the queue path: an even split, as its round robin deals them).
 */
export async function fillPartitions(at: PartitionTarget, jobs: number, batch: number): Promise<number[]> {
  if (PRODUCE_WITH === 'queue') {
    await fillWithQueue(at, jobs, batch);
    return Array.from({ length: at.partitions }, (_, p) => Math.floor(jobs / at.partitions) + (p < jobs % at.partitions ? 1 : 0));
  }
  const counts = Array.from({ length: at.partitions }, () => 0);
  const client = Array.isArray(at.connection)
    ? new Cluster(at.connection, { scaleReads: 'master' })
    : new Redis({ ...at.connection, maxRetriesPerRequest: 1 });
  try {
    registerScripts(client as Redis);
    const scripts = partitionKeys(at.prefix, at.queue, at.partitions).map((keys) => new Scripts(client as Redis, keys));
    const next = roundRobin(at.partitions);
    const pending: EnqueueItem[][] = scripts.map(() => []);
    const opts = JSON.stringify({ removeOnComplete: true });
    const flush = async (p: number) => {
      const items = pending[p]!.splice(0);
      if (items.length === 0) return;
      const reply = await scripts[p]!.enqueue(items);
      if (reply.jobs.length !== items.length) throw new Error(`partition ${p}: ${reply.jobs.length} of ${items.length} jobs added`);
    };
    for (let i = 0; i < jobs; i++) {
      const p = next();
      counts[p]!++;
      pending[p]!.push({ id: '', name: 'bench', data: JSON.stringify(payload(i)), opts, schedule: '' });
      if (pending[p]!.length === batch) await flush(p);
    }
    for (let p = 0; p < at.partitions; p++) await flush(p);
    return counts;
  } finally {
    client.disconnect();
  }
}

async function fillWithQueue(at: PartitionTarget, jobs: number, batch: number): Promise<void> {
  const options = {
    connection: at.connection,
    prefix: at.prefix,
    partitions: at.partitions,
    defaultJobOptions: { removeOnComplete: true },
  } as QueueOptions;
  const queue = new Queue<Payload>(at.queue, options);
  try {
    for (let i = 0; i < jobs; i += batch) {
      const size = Math.min(batch, jobs - i);
      await queue.addBulk(Array.from({ length: size }, (_, k) => ({ name: 'bench', data: payload(i + k) })));
    }
  } finally {
    await queue.close();
  }
}
