// How a Queue becomes partitioned: QueueLayout learns the queue's number of partitions once
// (recording the `partitions` option, or reading the record: layout-record.ts) and, when it
// is more than 1, makes the per-partition Queues (PartitionedQueue). routeToPartitions makes
// every public method of Queue that reads or changes the queue go to the PartitionedQueue
// when there is one, and to Queue's own code (the single queue) when there is not, so Queue's
// methods are written once, for one queue. A part (a Queue that is one partition) is never
// routed. It does not decide where jobs go (partitioned-queue.ts, layout.ts).
import { ClosedError } from '../errors.js';
import { registerQueue } from '../ops/queue-registry.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { PartitionRef } from '../redis/keys.js';
import type { Scripts } from '../redis/scripts.js';
import { resolvePartitions } from './layout-record.js';
import { partitionRefs } from './layout.js';
import { PartitionedQueue } from './partitioned-queue.js';
import { bulkNotSent } from './partitioned-bulk.js';
import type { Redis } from 'ioredis';
import type { Queue } from '../queue/queue.js';
import type { QueueOptions, ResolvedQueueOptions } from '../queue/queue-options.js';

/** The Queue methods routed to the partitions (the others: waitUntilReady, call, close and the aliases, build on these). */
const ROUTED = [
  'add',
  'addBulk',
  'getJob',
  'getJobIds',
  'getJobs',
  'getJobsPage',
  'getJobCounts',
  'retryJobs',
  'promoteJobs',
  'pause',
  'resume',
  'isPaused',
  'drain',
  'clean',
  'upsertScheduler',
  'removeScheduler',
  'getScheduler',
  'getSchedulers',
  'createGroup',
  'getGroups',
  'removeGroup',
  'getDeduplicationJobId',
  'remove',
  'obliterate',
] as const;

/** What the Queue of one partition is made with, over its Queue's options. */
export type PartOptions = Pick<QueueOptions, 'partitions' | 'evictionPolicy' | 'partition' | 'maxLength'>;

/** A Queue's partitions, learnt once (a failed attempt is tried again by the next call). */
export class QueueLayout {
  private resolving: Promise<PartitionedQueue<never, never> | undefined> | undefined;
  private parts: PartitionedQueue<never, never> | undefined;
  /** Set once learnt: whether the queue is partitioned. */
  private learnt: boolean | undefined;
  private closed = false;

  /**
   * `scripts`: those of the queue itself (its own slot holds the record); `partition`: set when
   * the Queue is itself a partition (it is never partitioned again); `makePart`: the Queue of
   * one partition: the Queue's options, these overridden, and its client (not the part's to close).
   */
  constructor(
    private readonly name: string,
    private readonly scripts: Scripts,
    private readonly options: ResolvedQueueOptions,
    private readonly partition: PartitionRef | undefined,
    private readonly makePart: (options: PartOptions) => Queue<never, never>,
  ) {
    // a queue built with partitions records them at once, not at its first call: a Worker
    // started meanwhile (without the option) then finds the record (a failure is retried and
    // reported by the first call)
    if (!partition && (options.partitions ?? 1) > 1) this.resolve().catch(() => undefined);
  }

  /** Whether this is the layout of one partition of a queue (not of a queue users named). */
  get isPartition(): boolean {
    return this.partition !== undefined;
  }

  /** The PartitionedQueue, or undefined for a queue of one partition. */
  resolve(): Promise<PartitionedQueue<never, never> | undefined> {
    if (this.partition) return Promise.resolve(undefined);
    if (this.closed) return Promise.reject(new ClosedError(`queue "${this.name}"`));
    this.resolving ??= (async () => {
      const count = await resolvePartitions(this.scripts, this.name, this.options.partitions);
      if (count === 1) {
        this.learnt = false;
        return undefined;
      }
      // backpressure: each partition holds its share of maxLength (docs/partitions.md)
      const maxLength = typeof this.options.maxLength === 'number' ? Math.ceil(this.options.maxLength / count) : this.options.maxLength;
      // each part checks the eviction policy before its first write when it must refuse; a
      // warning is given once (by the first part)
      const mode = this.options.evictionMode;
      const parts = partitionRefs(this.name, count).map((ref) =>
        this.makePart({
          partition: ref,
          partitions: undefined,
          maxLength,
          evictionPolicy: ref.index === 0 || mode === 'refuse' ? mode : 'ignore',
        }),
      );
      // listed under its own name (a part never registers: Queue.waitUntilReady)
      await registerQueue(queueInternals(parts[0]!).client, this.options.prefix, this.name);
      this.parts = new PartitionedQueue<never, never>(this.name, parts, this.options);
      this.learnt = true;
      return this.parts;
    })().catch((err: unknown) => {
      this.resolving = undefined;
      throw err;
    });
    return this.resolving;
  }

  /**
   * What resolve() would give, when it is known without waiting: null for a queue of one
   * partition (or a part), undefined while not learnt yet.
   */
  known(): PartitionedQueue<never, never> | null | undefined {
    if (this.partition) return null;
    if (this.closed || this.learnt === undefined) return undefined;
    return this.learnt ? this.parts : null;
  }

  /** Closes the parts, if any were made; resolve() then rejects with ClosedError. */
  async close(): Promise<void> {
    this.closed = true;
    await this.parts?.close();
  }
}

/** Sends the routed methods of a Queue class to its PartitionedQueue when it has one. Call it before guardRedisErrors. */
export function routeToPartitions<T extends object>(
  cls: { prototype: T },
  partsOf: (self: T) => { layout: QueueLayout; client: Redis },
): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of ROUTED) {
    const original = proto[name] as (...args: unknown[]) => Promise<unknown>;
    const route = async function (this: T, args: unknown[]): Promise<unknown> {
      let parts: PartitionedQueue<never, never> | undefined;
      try {
        parts = await partsOf(this).layout.resolve();
      } catch (err) {
        // addBulk reports a failure before anything was sent as it always does
        if (name === 'addBulk' && Array.isArray(args[0])) throw bulkNotSent(err, args[0].length, partsOf(this).client);
        throw err;
      }
      if (!parts) return original.apply(this, args);
      return (parts[name] as (...a: unknown[]) => Promise<unknown>).apply(parts, args);
    };
    // once the layout is known, a call goes on at once (no extra turn of the event loop: the
    // order in which concurrent calls reach Redis stays the order they were made)
    const routed = function (this: T, ...args: unknown[]): Promise<unknown> {
      try {
        const known = partsOf(this).layout.known();
        if (known === null) return original.apply(this, args);
        if (known) return (known[name] as (...a: unknown[]) => Promise<unknown>).apply(known, args);
      } catch (err) {
        return Promise.reject(err);
      }
      return route.call(this, args);
    };
    Object.defineProperty(routed, 'name', { value: name });
    Object.defineProperty(proto, name, { value: routed, writable: true, configurable: true, enumerable: false });
  }
}
