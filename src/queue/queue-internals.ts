// The parts of a Queue that the code installing its methods from other folders needs (the
// scheduler methods, metrics, explain, the dashboard's reads): its client, keys, scripts and
// options, and its partitions. Queue keeps them non-public so that users do not reach them;
// this is the one place that reads them, typed, for code inside the package.
import type { Redis } from 'ioredis';
import type { QueueLayout } from '../partitions/queue-routing.js';
import type { QueueKeys } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import type { JobWriter } from './job-writer.js';
import type { ResolvedQueueOptions } from './queue-options.js';
import type { Queue } from './queue.js';

/** A Queue's non-public parts. */
export interface QueueInternals {
  readonly name: string;
  readonly client: Redis;
  readonly keys: QueueKeys;
  readonly scripts: Scripts;
  readonly options: ResolvedQueueOptions;
  /** Encodes new jobs and makes their Job objects (flows add through it). */
  readonly writer: JobWriter<unknown, unknown>;
  /** Resolves once the queue's settings are written (Queue.waitUntilReady). */
  waitUntilReady(): Promise<void>;
  /** The Queues of its partitions, or the queue itself when it has one partition. */
  partitions(): Promise<Queue<never, never>[]>;
}

type Inside = Omit<QueueInternals, 'partitions'> & { readonly layout: QueueLayout };

/** The queue's non-public parts (for code of this package only). */
export function queueInternals(queue: object): QueueInternals {
  const inside = queue as unknown as Inside;
  return {
    name: inside.name,
    client: inside.client,
    keys: inside.keys,
    scripts: inside.scripts,
    options: inside.options,
    writer: inside.writer,
    waitUntilReady: () => inside.waitUntilReady(),
    partitions: async () => (await inside.layout.resolve())?.parts ?? [queue as Queue<never, never>],
  };
}
