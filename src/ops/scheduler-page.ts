// The first schedulers of a queue by next fire, for a listing: a bounded read (ZRANGE of the
// first `max` per partition, and their records), where Queue.getSchedulers reads them all.
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { getScheduler, type SchedulerInfo } from '../scheduling/schedulers.js';

/** The most schedulers a listing shows. */
export const MAX_LISTED_SCHEDULERS = 100;

/** The queue's first `max` schedulers, soonest first, and how many it has. */
export async function readSchedulerPage(
  queue: Queue,
  max = MAX_LISTED_SCHEDULERS,
): Promise<{ schedulers: SchedulerInfo[]; total: number }> {
  const parts = await queueInternals(queue).partitions();
  let total = 0;
  const found: SchedulerInfo[] = [];
  for (const part of parts) {
    const { client, keys } = queueInternals(part);
    const [count, first] = await Promise.all([client.zcard(keys.schedulers), client.zrange(keys.schedulers, '0', String(max - 1))]);
    total += count;
    const infos = await Promise.all(first.map((key) => getScheduler(client, keys, key)));
    for (const info of infos) if (info) found.push(info);
  }
  found.sort((a, b) => (a.next ?? Infinity) - (b.next ?? Infinity));
  return { schedulers: found.slice(0, max), total };
}
