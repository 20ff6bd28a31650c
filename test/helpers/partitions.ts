// Adds jobs straight into one partition of a partitioned queue, through the partition's own
// enqueue script: for tests of the consuming side that must choose where jobs land.
import type { Cluster, Redis } from 'ioredis';
import { partitionKeys } from '../../src/partitions/layout.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts } from '../../src/redis/scripts.js';

export async function addToPartition(
  client: Redis | Cluster,
  at: { prefix: string; queue: string; partitions: number; partition: number },
  jobs: { name: string; data: unknown }[],
): Promise<string[]> {
  const keys = partitionKeys(at.prefix, at.queue, at.partitions)[at.partition]!;
  registerScripts(client as Redis);
  const scripts = new Scripts(client as Redis, keys);
  const reply = await scripts.enqueue(jobs.map((j) => ({ id: '', name: j.name, data: JSON.stringify(j.data), opts: '{}', schedule: '' })));
  return reply.jobs.map((j) => j.id);
}

/** `count` jobs named `name` with data { p, i }. */
export function jobsFor(partition: number, count: number, name = 'job'): { name: string; data: { p: number; i: number } }[] {
  return Array.from({ length: count }, (_, i) => ({ name, data: { p: partition, i } }));
}
