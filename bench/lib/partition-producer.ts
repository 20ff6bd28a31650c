// The partitions scenario's producer: the jobs go through the Queue's own partition routing,
// `new Queue(name, { connection, partitions, defaultJobOptions }).addBulk(...)`, `batch` per
// call, removed on completion. Jobs without an ordering key or id are dealt round robin over the
// partitions, so each partition gets jobs / partitions of them (± 1).
import { Queue, type QueueOptions } from '../../src/index.js';
import { payload, type Payload } from '../adapters/types.js';

export interface PartitionTarget {
  /** Cluster seeds (redis:// URLs), or one standalone Redis. */
  connection: string[] | { host: string; port: number };
  prefix: string;
  queue: string;
  partitions: number;
}

/**
 * Adds `jobs` bench payloads (removed on completion) to the queue's partitions, `batch` per call;
 * returns how many each partition got (an even split, as the Queue's round robin deals them).
 */
export async function fillPartitions(at: PartitionTarget, jobs: number, batch: number): Promise<number[]> {
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
  return Array.from({ length: at.partitions }, (_, p) => Math.floor(jobs / at.partitions) + (p < jobs % at.partitions ? 1 : 0));
}
