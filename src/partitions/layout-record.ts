// The record of a queue's number of partitions, in the queue's own meta hash (set-partitions.lua):
// written by the first Queue, Worker or QueueEvents built with `partitions`, read by every other
// one, so that no process can use the queue with another number (docs/partitions.md).
import { PartitionsMismatchError } from '../errors.js';
import type { Scripts } from '../redis/scripts.js';

/**
 * The queue's number of partitions: `wanted` once recorded (or checked against the record), or,
 * with `wanted` undefined, what Redis says (1: not partitioned).
 */
export async function resolvePartitions(scripts: Scripts, queue: string, wanted: number | undefined): Promise<number> {
  try {
    const recorded = await scripts.setPartitions(wanted ?? 0);
    return recorded === 0 ? 1 : recorded;
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const other = /SLUICE_PARTITIONS (\d+)/.exec(message);
    if (other) {
      throw new PartitionsMismatchError(
        `queue "${queue}" has ${other[1]} partitions, not ${wanted}: the number of partitions of a live queue cannot change ` +
          '(docs/partitions.md: moving to another number); leave the option out to use the recorded number',
        Number(other[1]),
      );
    }
    if (message.includes('SLUICE_UNPARTITIONED')) {
      throw new PartitionsMismatchError(
        `queue "${queue}" holds jobs added without partitions: it cannot be partitioned now ` +
          '(docs/partitions.md: moving to another number)',
        1,
      );
    }
    throw err;
  }
}
