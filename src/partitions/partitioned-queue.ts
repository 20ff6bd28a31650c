// What a Queue does when its queue is partitioned (docs/partitions.md): the same methods, over
// the N per-partition Queues ("parts") that share the Queue's client. A new job goes to the
// partition routeJob gives it; a job read by id is looked for where its id says it lives;
// counts, pauses, cleans and groups reach every part; a scheduler lives in the part its key
// hashes to, so it fires once. Paged reads merge the parts' pages (merged-pages.ts); adding many
// jobs at once is partitioned-bulk.ts. The group rate limit is not here: it is the whole
// queue's, kept in the queue's own meta by Queue itself (rate-gate.ts). It holds no connection
// of its own.
import { queueInternals } from '../queue/queue-internals.js';
import { unregisterQueue } from '../ops/queue-registry.js';
import { JobNotFoundError } from '../errors.js';
import type { Job, JobState } from '../job/job.js';
import type { JobsOptions } from '../job/job-options.js';
import type { Queue } from '../queue/queue.js';
import type { AddOptions, GroupOption } from '../queue/queue-options.js';
import type { JobCounts, JobsPage, PageOptions } from '../queue/queue-reader.js';
import type { CreateGroupOptions, GroupInfo } from '../fanout/groups.js';
import type { RepeatOptions } from '../scheduling/repeat.js';
import type { SchedulerInfo, SchedulerTemplate } from '../scheduling/schedulers.js';
import { compareStreamIds } from '../redis/streams.js';
import { hashToPartition, partitionOfGeneratedId, roundRobin, routeJob } from './layout.js';
import { addBulkToParts } from './partitioned-bulk.js';
import { mergedJobs, mergedPage } from './merged-pages.js';
import { countArgs, countsOfStates, jobsOfTypes, type CleanState, type CountState } from '../queue/queue-getters.js';

/**
 * The partition a routing key (an ordering key, a job id, a scheduler key) names; 0 for a value
 * that is not a string (the part then refuses it).
 */
function keyPartition(key: unknown, count: number): number {
  return typeof key === 'string' && key !== '' ? hashToPartition(key, count) : 0;
}

/**
 * Where to look for a job by id, in order: the partition a generated id names (only there); for
 * an id of the user's own, the one it hashes to (a scheduler's job: its scheduler's), then the
 * others (a job with an orderingKey lives where its key routed it).
 */
export function partitionsOfId(id: string, count: number): { first: number; others: number[] } {
  const generated = typeof id === 'string' ? partitionOfGeneratedId(id, count) : 0;
  if (generated !== undefined) return { first: generated, others: [] };
  const slot = /^repeat:(.+):\d+$/.exec(id);
  const first = keyPartition(slot ? slot[1] : id, count);
  return { first, others: [...Array(count).keys()].filter((p) => p !== first) };
}

export class PartitionedQueue<Data, Result> {
  private readonly spread: () => number;
  readonly count: number;

  constructor(
    readonly name: string,
    readonly parts: Queue<Data, Result>[],
    private readonly options: { defaults: JobsOptions; maxPayloadBytes: number },
  ) {
    this.count = parts.length;
    this.spread = roundRobin(this.count);
  }

  /** Every part ready (its settings written). */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.waitUntilReady()));
  }

  /** The partition a new job goes to (its options overlaid on the queue's defaults decide). */
  private route(opts: JobsOptions | undefined): number {
    const o = typeof opts === 'object' && opts !== null ? { ...this.options.defaults, ...opts } : this.options.defaults;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const dedup = o.deduplication && typeof o.deduplication === 'object' ? str(o.deduplication.id) : undefined;
    const fields = { orderingKey: str(o.orderingKey), jobId: str(o.jobId), deduplication: dedup === undefined ? undefined : { id: dedup } };
    return routeJob(fields, this.count, this.spread);
  }

  add(name: string, data: Data, opts?: AddOptions): Promise<Job<Data, Result>> {
    return this.parts[this.route(opts)]!.add(name, data, opts);
  }

  addBulk(jobs: { name: string; data: Data; opts?: JobsOptions }[]): Promise<Job<Data, Result>[]> {
    return addBulkToParts(jobs, (opts) => this.route(opts), this.parts, this.options);
  }

  /** The first answer of `find` over the parts where `id` may live (see partitionsOfId). */
  private async byId<T>(id: string, find: (part: Queue<Data, Result>) => Promise<T | undefined>): Promise<T | undefined> {
    const { first, others } = partitionsOfId(id, this.count);
    const found = await find(this.parts[first]!);
    if (found !== undefined) return found;
    const rest = await Promise.all(others.map((p) => find(this.parts[p]!)));
    return rest.find((r) => r !== undefined);
  }

  getJob(id: string, opts: GroupOption = {}): Promise<Job<Data, Result> | undefined> {
    return this.byId(id, (part) => part.getJob(id, opts));
  }

  async remove(id: string, opts: GroupOption = {}): Promise<void> {
    const removed = await this.byId(id, (part) =>
      part.remove(id, opts).then(
        () => true,
        (err: unknown) => {
          if (err instanceof JobNotFoundError) return undefined;
          throw err;
        },
      ),
    );
    if (!removed) throw new JobNotFoundError(id);
  }

  getDeduplicationJobId(dedupId: string): Promise<string | undefined> {
    return this.byId(dedupId, (part) => part.getDeduplicationJobId(dedupId));
  }

  async getJobIds(state: JobState, start = 0, end = -1, opts: GroupOption = {}): Promise<string[]> {
    return (await this.getJobs(state, start, end, opts)).map((j) => j.id);
  }

  getJobs(
    types: JobState | JobState[],
    start = 0,
    end = -1,
    asc: boolean | GroupOption = {},
    opts: GroupOption = {},
  ): Promise<Job<Data, Result>[]> {
    if (typeof types === 'string' && typeof asc !== 'boolean') return mergedJobs(this.parts, types, start, end, asc);
    const range = (state: JobState, s: number, e: number) => mergedJobs(this.parts, state, s, e, opts);
    return jobsOfTypes(types, start, end, asc === true, range, () => this.getJobCounts(opts));
  }

  getJobsPage(state: JobState, opts: PageOptions & GroupOption = {}): Promise<JobsPage<Data, Result>> {
    return mergedPage(this.parts, state, opts);
  }

  getJobCounts(opts?: GroupOption): Promise<JobCounts>;
  getJobCounts(...states: (CountState | GroupOption)[]): Promise<Record<string, number>>;
  async getJobCounts(...args: unknown[]): Promise<JobCounts | Record<string, number>> {
    if (typeof args[0] === 'string') {
      // BullMQ's way: the states asked, over every part
      const { states, opts } = countArgs(args);
      const prioritized = async () => {
        const each = await Promise.all(this.parts.map((p) => p.getJobCounts('prioritized', opts)));
        return each.reduce((n, c) => n + (c.prioritized ?? 0), 0);
      };
      return countsOfStates(states, () => this.getJobCounts(opts), prioritized);
    }
    const opts = (args[0] ?? {}) as GroupOption;
    const all = await Promise.all(this.parts.map((p) => p.getJobCounts(opts)));
    const sum = (k: 'waiting' | 'active' | 'delayed' | 'completed' | 'failed' | 'waiting-children') => all.reduce((n, c) => n + c[k], 0);
    return {
      waiting: sum('waiting'),
      active: sum('active'),
      delayed: sum('delayed'),
      completed: sum('completed'),
      failed: sum('failed'),
      'waiting-children': sum('waiting-children'),
      paused: all.some((c) => c.paused),
    };
  }

  /** `run` on every part at once; with a finite `limit`, part after part, each up to what is left. */
  private async eachPart(limit: number, run: (part: Queue<Data, Result>, left: number) => Promise<number>): Promise<number> {
    if (limit === Infinity) return (await Promise.all(this.parts.map((p) => run(p, Infinity)))).reduce((a, b) => a + b, 0);
    let done = 0;
    for (const part of this.parts) if (done < limit) done += await run(part, limit - done);
    return done;
  }

  retryJobs(opts: { state?: 'failed' | 'completed'; count?: number } & GroupOption = {}): Promise<number> {
    return this.eachPart(opts?.count ?? Infinity, (p, left) => p.retryJobs(left === Infinity ? opts : { ...opts, count: left }));
  }

  promoteJobs(opts: { count?: number } & GroupOption = {}): Promise<number> {
    return this.eachPart(opts?.count ?? Infinity, (p, left) => p.promoteJobs(left === Infinity ? opts : { ...opts, count: left }));
  }

  async pause(opts: GroupOption = {}): Promise<void> {
    await Promise.all(this.parts.map((p) => p.pause(opts)));
  }

  async resume(opts: GroupOption = {}): Promise<void> {
    await Promise.all(this.parts.map((p) => p.resume(opts)));
  }

  /** True when any part is paused: a pause or resume that failed part-way is finished by calling it again. */
  async isPaused(opts: GroupOption = {}): Promise<boolean> {
    return (await Promise.all(this.parts.map((p) => p.isPaused(opts)))).some(Boolean);
  }

  drain(delayed = false, opts: GroupOption = {}): Promise<number> {
    return this.eachPart(Infinity, (p) => p.drain(delayed, opts));
  }

  async clean(graceMs: number, limit: number, state: CleanState = 'completed', opts: GroupOption = {}): Promise<string[]> {
    const ids: string[] = [];
    await this.eachPart(limit > 0 ? limit : Infinity, async (p, left) => {
      const some = await p.clean(graceMs, left === Infinity ? limit : left, state, opts);
      ids.push(...some);
      return some.length;
    });
    return ids;
  }

  upsertScheduler(key: string, repeat: RepeatOptions, template: SchedulerTemplate<Data>): Promise<SchedulerInfo<Data>> {
    return this.parts[keyPartition(key, this.count)]!.upsertScheduler(key, repeat, template);
  }

  removeScheduler(key: string): Promise<boolean> {
    return this.parts[keyPartition(key, this.count)]!.removeScheduler(key);
  }

  getScheduler(key: string): Promise<SchedulerInfo<Data> | undefined> {
    return this.parts[keyPartition(key, this.count)]!.getScheduler(key);
  }

  /** Every part's schedulers, soonest first. */
  async getSchedulers(): Promise<SchedulerInfo<Data>[]> {
    const all = (await Promise.all(this.parts.map((p) => p.getSchedulers()))).flat();
    return all.sort((a, b) => (a.next ?? Infinity) - (b.next ?? Infinity));
  }

  /** Creates the group in every part; true when some part did not have it. */
  async createGroup(name: string, opts: CreateGroupOptions = {}): Promise<boolean> {
    return (await Promise.all(this.parts.map((p) => p.createGroup(name, opts)))).some(Boolean);
  }

  /**
   * The groups of all parts, one entry per name: counts summed, `consumers` the most of any part
   * (a worker of a partitioned queue consumes in every part), `lastDeliveredId` the latest.
   */
  async getGroups(): Promise<GroupInfo[]> {
    const byName = new Map<string, GroupInfo>();
    for (const info of (await Promise.all(this.parts.map((p) => p.getGroups()))).flat()) {
      const seen = byName.get(info.name);
      if (!seen) {
        byName.set(info.name, { ...info });
        continue;
      }
      seen.implicit &&= info.implicit;
      if (compareStreamIds(info.lastDeliveredId, seen.lastDeliveredId) > 0) seen.lastDeliveredId = info.lastDeliveredId;
      seen.unread += info.unread;
      seen.unreadExact &&= info.unreadExact;
      seen.waiting += info.waiting;
      seen.consumers = Math.max(seen.consumers, info.consumers);
    }
    return [...byName.values()];
  }

  async removeGroup(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await Promise.all(this.parts.map((p) => p.removeGroup(name, opts)));
  }

  /** Obliterates every part (each refused while it has active jobs, unless forced); the record of N stays. Unlists the queue. */
  async obliterate(opts: { force?: boolean } = {}): Promise<void> {
    await Promise.all(this.parts.map((p) => p.obliterate(opts)));
    const { client, options } = queueInternals(this.parts[0]!);
    await unregisterQueue(client, options.prefix, this.name);
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.close()));
  }
}
