// The partition tests' consumer: a real partitioned Worker (it reads the number of partitions
// from Redis) that runs `run` and records every job it completed, with the partition its id
// says it lives in (src/partitions/partitioned-queue.ts partitionsOfId).
import { Worker } from '../../src/index.js';
import { partitionsOfId } from '../../src/partitions/partitioned-queue.js';
import { quietLogger } from '../helpers/setup.js';

export interface PartitionConsumer {
  /** Ids of the jobs it completed, with their partition. */
  done: { id: string; partition: number }[];
  stop(): Promise<void>;
}

export function consumePartitions(
  connection: string | string[],
  prefix: string,
  queue: string,
  count: number,
  run: (job: { id: string; name: string; data: unknown }) => unknown = () => 'ok',
): PartitionConsumer {
  const done: PartitionConsumer['done'] = [];
  const worker = new Worker(queue, async (job) => run(job), { connection, prefix, logger: quietLogger, concurrency: 4 });
  worker.on('completed', (job) => done.push({ id: job.id, partition: partitionsOfId(job.id, count).first }));
  worker.on('error', (err) => {
    throw err;
  });
  return { done, stop: () => worker.close({ timeoutMs: 2000 }) };
}
