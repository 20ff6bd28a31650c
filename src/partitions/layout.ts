// Partitioned queues: one logical queue spread over N hash slots (docs/partitions.md). Each
// partition is a complete sluice queue of its own under the tag `{<queue>~<k>}`, so every script
// still touches one slot (invariant 2, docs/invariants.md); what makes the N of them one queue
// is here: where each partition lives, which partition a job goes to, and which partition a job
// id belongs to. Queue, Worker and QueueEvents build on it; nothing here talks to Redis except
// the layout record (layout-record.ts).
import { createHash } from 'node:crypto';
import { keySlot } from '../redis/cluster.js';
import { queueKeys, type PartitionRef, type QueueKeys } from '../redis/keys.js';

/** Most partitions a queue may have. */
export const MAX_PARTITIONS = 256;

const SLOTS = 16384;

/**
 * The hash tags of a queue's N partitions. Partition p's tag is `<queue>~<k>` for the smallest
 * k whose slot falls near the middle of the p-th of N equal slot ranges: on a cluster whose
 * masters own equal, contiguous ranges (what `redis-cli --cluster create` makes) with N a
 * multiple of the number of masters, the partitions are spread evenly over the masters. `~`
 * is not allowed in queue names, so a partition's tag is never another queue's.
 */
export function partitionTags(queue: string, count: number): string[] {
  const tags: string[] = [];
  const width = SLOTS / count;
  // accept a slot within an eighth of a range of its middle: about 4 tries per partition
  const tolerance = Math.max(1, Math.floor(width / 8));
  for (let p = 0; p < count; p++) {
    const target = Math.floor((p + 0.5) * width);
    let k = 0;
    while (Math.abs(keySlot(`{${queue}~${k}}`) - target) > tolerance) k++;
    tags.push(`${queue}~${k}`);
  }
  return tags;
}

/** A stable hash of a routing key (an ordering key, a job id, a deduplication id) to a partition. */
export function hashToPartition(key: string, count: number): number {
  if (count === 1) return 0;
  return createHash('sha1').update(key).digest().readUInt32BE(0) % count;
}

const GENERATED_NUMERIC = /^\d+$/;
const GENERATED_ENTRY = /^(\d+)-\d+$/;

/**
 * The partition a generated job id belongs to, or undefined for an id of the user's own. A
 * partition's scripts generate ids that say where they were made (lua/includes/partitionIds.lua):
 * a counter id n has n mod N = p, a stream entry id "ms-seq" has ms mod N = p. User ids can
 * have neither form (validateJobId), so the two kinds never mix.
 */
export function partitionOfGeneratedId(id: string, count: number): number | undefined {
  if (count === 1) return 0;
  const entry = GENERATED_ENTRY.exec(id);
  const digits = entry ? entry[1]! : GENERATED_NUMERIC.test(id) ? id : undefined;
  if (digits === undefined) return undefined;
  // ids beyond 2^53 are taken digit by digit
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % count;
  return rest;
}

/** What decides a new job's partition: its ordering key, else its id, else its deduplication id. */
export interface RoutingFields {
  orderingKey?: string | undefined;
  jobId?: string | undefined;
  deduplication?: { id: string } | undefined;
}

/**
 * The partition of a new job: one ordering key's jobs all go to one partition (their order is
 * kept there), a job id always to the same one (adding it twice adds it once), so does a
 * deduplication id; other jobs are spread by `spread` (round robin).
 */
export function routeJob(fields: RoutingFields, count: number, spread: () => number): number {
  if (count === 1) return 0;
  const key = fields.orderingKey ?? fields.jobId ?? fields.deduplication?.id;
  return key === undefined ? spread() : hashToPartition(key, count);
}

/** A round robin over N partitions, starting at a random one (so producers do not all start at 0). */
export function roundRobin(count: number): () => number {
  let next = Math.floor(Math.random() * count);
  return () => {
    next = (next + 1) % count;
    return next;
  };
}

/** The PartitionRef of each of a queue's N partitions. */
export function partitionRefs(queue: string, count: number): PartitionRef[] {
  return partitionTags(queue, count).map((tag, index) => ({ index, count, tag }));
}

/** The keys of each of a queue's N partitions (N = 1: the queue's own keys). */
export function partitionKeys(prefix: string, queue: string, count: number): QueueKeys[] {
  if (count === 1) return [queueKeys(prefix, queue)];
  return partitionRefs(queue, count).map((ref) => queueKeys(prefix, queue, ref));
}
