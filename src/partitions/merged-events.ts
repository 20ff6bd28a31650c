// QueueEvents over a partitioned queue (docs/partitions.md): one reader per partition, each a
// QueueEvents of its own on its partition's event stream (its own blocking connection), whose
// events and job outcomes the QueueEvents the user made delivers as its own. Each partition's
// events come in their order; between partitions, in the order they are read. The resume point
// of a merged reader is composite: the id of the last event delivered from each partition,
// joined by commas in partition order; an event's listener gets the resume point just after
// that event, and `from` takes one back. It does not read streams itself (queue-events.ts).
import { InvalidOptionError } from '../errors.js';
import type { PartitionRef } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import { partitionTags } from './layout.js';
import { resolvePartitions } from './layout-record.js';

const EVENT_ID = /^\d+-\d+$/;

/** What a merged reader needs of each partition's reader. */
export interface PartitionReader {
  lastEventId: string | undefined;
  waitUntilReady(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The starting point of each partition's reader from a `from` option: 'now' for each, or a
 * composite resume point of exactly `count` event ids.
 */
export function partitionStarts(from: string, queue: string, count: number): string[] {
  if (from === 'now') return Array.from({ length: count }, () => 'now');
  const ids = from.split(',');
  if (ids.length !== count || !ids.every((id) => EVENT_ID.test(id))) {
    throw new InvalidOptionError(
      `queue "${queue}" has ${count} partitions: from must be 'now' or a resume point of ${count} event ids ` +
        `joined by commas (an event id given to a listener of a QueueEvents of it); got ${JSON.stringify(from)}`,
    );
  }
  return ids;
}

/**
 * The partitions' readers of a QueueEvents, or undefined when the queue has one partition
 * (`wanted`: its `partitions` option, recorded or checked; `scripts`: the queue's own).
 */
export async function openMerged<R extends PartitionReader>(
  scripts: Scripts,
  queue: string,
  wanted: number | undefined,
  from: string,
  open: (partition: PartitionRef, from: string) => R,
): Promise<MergedEvents<R> | undefined> {
  const count = await resolvePartitions(scripts, queue, wanted);
  if (count > 1) return new MergedEvents(queue, count, from, open);
  if (from.includes(',')) throw new InvalidOptionError(`queue "${queue}" is not partitioned: from must be 'now' or one event id`);
  return undefined;
}

export class MergedEvents<R extends PartitionReader> {
  readonly readers: R[];

  /** `open` makes the reader of one partition, starting at `from` ('now' or an event id). */
  constructor(queue: string, count: number, from: string, open: (partition: PartitionRef, from: string) => R) {
    const starts = partitionStarts(from, queue, count);
    this.readers = partitionTags(queue, count).map((tag, index) => open({ index, count, tag }, starts[index]!));
  }

  /** Resolves once every partition's reader has fixed its starting point. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.waitUntilReady()));
  }

  /** Where to resume after what was delivered so far: every partition's last delivered event id. */
  resumePoint(): string {
    return this.readers.map((r) => r.lastEventId ?? '0-0').join(',');
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }
}
