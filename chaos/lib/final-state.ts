// The end state of a scenario in the queue's Redis: for each job id, its state, deliveries,
// stalls and stored result (the default group's record, read with pipelined HMGETs), and the
// queue's counts. Read once the run is over, after every worker is stopped. On a Redis Cluster,
// behind sentinels, or on a partitioned queue (`topology`), each job is read from its partition.
import { Cluster, Redis } from 'ioredis';
import { partitionKeys, partitionOfGeneratedId } from '../../src/partitions/layout.js';
import type { ChaosResult, Topology } from './child-config.js';

export interface FinalJob {
  /** The record's state (completed, failed, waiting, …); undefined: no record. */
  state: string | undefined;
  deliveries: number;
  stalls: number;
  /** The stored return value of a completed job. */
  result: ChaosResult | undefined;
  /** When it completed or failed for good (ms, Redis time). */
  finishedOn: number | undefined;
  /** Its ordering key, if it has one. */
  orderingKey: string | undefined;
}

/** The key of job `id`'s record in the default group, or in `group`'s (docs/key-schema.md). */
export function jobKey(prefix: string, queue: string, id: string, group?: string): string {
  return group && group !== 'default' ? `${prefix}:{${queue}}:g:${group}:job:${id}` : `${prefix}:{${queue}}:job:${id}`;
}

/** A client of the queue's Redis: one server, a cluster, or the master the sentinels name. */
function connect(url: string, topology: Topology): Redis | Cluster {
  if (topology.cluster) return new Cluster(topology.cluster, { redisOptions: { maxRetriesPerRequest: 3 } });
  if (topology.sentinel) return new Redis({ ...topology.sentinel, maxRetriesPerRequest: 3 });
  return new Redis(url, { maxRetriesPerRequest: 3 });
}

/** The job keys of `ids`, grouped by partition (a cluster pipeline must stay in one slot). */
function keysByPartition(prefix: string, queue: string, ids: string[], partitions: number, group?: string): [string, string][][] {
  if (partitions <= 1) return [ids.map((id) => [id, jobKey(prefix, queue, id, group)])];
  if (group && group !== 'default')
    throw new Error('reading the records of a group other than default on a partitioned queue is not supported');
  const parts = partitionKeys(prefix, queue, partitions);
  const groups: [string, string][][] = parts.map(() => []);
  // the producers add without a jobId: every id is a generated one, which names its partition
  for (const id of ids) {
    const p = partitionOfGeneratedId(id, partitions) ?? 0;
    groups[p]!.push([id, parts[p]!.job(id)]);
  }
  return groups;
}

/** `topology`: where the queue lives (default: one server at `url`); `group`: read another group's records than the default group's. */
export async function readFinalStates(
  url: string,
  prefix: string,
  queue: string,
  ids: string[],
  topology: Topology = {},
  group?: string,
): Promise<Map<string, FinalJob>> {
  const client = connect(url, topology);
  const states = new Map<string, FinalJob>();
  try {
    for (const keys of keysByPartition(prefix, queue, ids, topology.partitions ?? 1, group)) {
      await readBatches(client, keys, states);
    }
    return states;
  } finally {
    client.disconnect();
  }
}

/** Reads the records of `keys` ([id, key] pairs, all in one slot) in pipelines of 1,000. */
async function readBatches(client: Redis | Cluster, keys: [string, string][], states: Map<string, FinalJob>): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const pipeline = client.pipeline();
    for (const [, key] of batch) pipeline.hmget(key, 's', 'dl', 'sc', 'rv', 'fo', 'ok');
    const replies = (await pipeline.exec()) ?? [];
    batch.forEach(([id], j) => {
      const [err, fields] = replies[j] ?? [new Error('no reply'), null];
      if (err) throw err;
      const [s, dl, sc, rv, fo, ok] = fields as (string | null)[];
      states.set(id, {
        state: s ?? undefined,
        deliveries: Number(dl ?? 0),
        stalls: Number(sc ?? 0),
        result: rv ? (JSON.parse(rv) as ChaosResult) : undefined,
        finishedOn: fo ? Number(fo) : undefined,
        orderingKey: ok ?? undefined,
      });
    });
  }
}
