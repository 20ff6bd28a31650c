// The read side of a queue for one consumer group: jobs by id or state, and counts. A group
// sees its own records; a job it has not met yet is read where it waits (its stream entry, or
// its published record while delayed). Every read is bounded: lists are paged (job-pages.ts),
// counts page through nothing (sizes, and XINFO for the stream: see streamBacklog).
import type { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { Job, type JobState } from '../job/job.js';
import type { JobContext } from '../job/job-context.js';
import { JobField, type QueueKeys } from '../redis/keys.js';
import { checkState, JobPager, pageCount, rangeCount, type PageItem, type PageOptions } from '../job/job-pages.js';
import { findWaitingEntry, publishedNotYetMet, streamBacklog, streamGroups, type StreamGroupInfo } from '../redis/streams.js';

export type { PageOptions } from '../job/job-pages.js';

/** One page of jobs, as `Queue.getJobsPage` returns it. */
export interface JobsPage<Data, Result> {
  /**
   * The jobs of the page, in the state's order (waiting: the order they will run; delayed:
   * soonest first; active: by lease deadline; completed and failed: newest first). Jobs that
   * went away while the page was read are left out, so a page may hold fewer than `count`.
   */
  jobs: Job<Data, Result>[];
  /** The cursor of the next page (getJobsPage's `cursor`); null when this page reached the end. */
  next: string | null;
}

/** How many jobs a consumer group has in each state, as `Queue.getJobCounts` returns it. */
export interface JobCounts {
  /**
   * Jobs waiting to run: new ones the group has not read yet, redeliveries, and prioritised,
   * lifo and ordered jobs. After a waiting job was removed this may count too many until the
   * group's workers read past it (see `GroupInfo.unreadExact`).
   */
  waiting: number;
  /** Jobs leased by a worker: running, or leased ahead in a worker's buffer (its `prefetch`). */
  active: number;
  /**
   * Jobs waiting for a time: delayed jobs of the queue (not yet given to any group) and this
   * group's jobs waiting for the backoff before a retry.
   */
  delayed: number;
  /** Completed jobs the group still keeps (see the job option `removeOnComplete`). */
  completed: number;
  /** Jobs failed for good that the group still keeps (see the job option `removeOnFail`). */
  failed: number;
  /** True while the group is paused (`Queue.pause`): its workers start no job. */
  paused: boolean;
  /** Flow parents waiting for their children (the queue's, in every group's counts: docs/flows.md). */
  'waiting-children': number;
}

export class QueueReader<Data, Result> {
  private readonly client: Redis;
  private readonly keys: QueueKeys;
  private readonly group: string;
  private readonly pager: JobPager;

  constructor(readonly ctx: JobContext) {
    this.client = ctx.client;
    this.keys = ctx.scripts.keys;
    this.group = ctx.group;
    this.pager = new JobPager(this.client, this.keys, this.group);
  }

  async getJob(id: string): Promise<Job<Data, Result> | undefined> {
    if (typeof id !== 'string' || id === '') return undefined;
    const [own] = await this.jobsByIds([id]);
    if (own) return own;
    // a delayed job (or, in another group, one it has not met yet) is read from its published record
    if (this.group !== 'default') {
      const hash = await publishedNotYetMet(this.client, this.keys, this.group, id);
      if (hash) return Job.fromHash<Data, Result>(this.ctx, id, hash);
    }
    // a plain job that no worker of the group has leased yet (or leased without a record) lives in its stream entry only
    const waiting = await findWaitingEntry(this.client, this.keys, this.group, id);
    return waiting && Job.fromHash<Data, Result>(this.ctx, id, waiting);
  }

  private async jobsByIds(ids: string[], records = this.keys.group(this.group)): Promise<Job<Data, Result>[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.hgetall(records.job(id));
    const replies = (await pipeline.exec()) ?? [];
    const jobs: Job<Data, Result>[] = [];
    replies.forEach(([err, hash], i) => {
      if (!err && hash && Object.keys(hash as object).length > 0)
        jobs.push(Job.fromHash(this.ctx, ids[i]!, hash as Record<string, string>));
    });
    return jobs;
  }

  /** Ids of jobs start..end in a state (end -1: a page of 100; at most 1,000 per call). */
  async getJobIds(state: JobState, start = 0, end = -1): Promise<string[]> {
    checkState(state);
    return (await this.pager.range(state, start, rangeCount(start, end))).map((item) => item.id);
  }

  /** Jobs start..end in a state (end -1: a page of 100; at most 1,000 per call). */
  async getJobs(state: JobState, start = 0, end = -1): Promise<Job<Data, Result>[]> {
    checkState(state);
    return this.toJobs(await this.pager.range(state, start, rangeCount(start, end)), state);
  }

  /** One page of a state's jobs, and the cursor of the next page (null at the end). */
  async getJobsPage(state: JobState, opts: PageOptions = {}): Promise<JobsPage<Data, Result>> {
    if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('getJobsPage options must be an object');
    checkState(state);
    const { items, next } = await this.pager.page(state, opts.cursor, pageCount(opts.count));
    return { jobs: await this.toJobs(items, state), next };
  }

  /** The jobs of page items, in their order; those that have gone meanwhile are left out. */
  private async toJobs(items: PageItem[], state: JobState): Promise<Job<Data, Result>[]> {
    // delayed jobs are the queue's: their record is the published one (the default group's)
    const [published, own] = await Promise.all([
      this.jobsByIds(
        items.filter((i) => i.published).map((i) => i.id),
        this.keys.group('default'),
      ),
      this.jobsByIds(items.filter((i) => !i.published && !i.carried).map((i) => i.id)),
    ]);
    const byId = new Map([...published, ...own].map((j) => [j.id, j]));
    // an active job of the default group without a record is leased without one: it lives in its
    // stream entry (lua/includes/leasedEntry.lua; a page holds few)
    if (state === 'active' && this.group === 'default') {
      const missing = items.filter((i) => !byId.has(i.id));
      const entries = await Promise.all(missing.map((i) => findWaitingEntry(this.client, this.keys, this.group, i.id)));
      entries.forEach((entry, k) => {
        if (entry?.[JobField.state] === 'active') byId.set(missing[k]!.id, Job.fromHash<Data, Result>(this.ctx, missing[k]!.id, entry));
      });
    }
    const jobs: Job<Data, Result>[] = [];
    for (const item of items) {
      const job = item.carried ? Job.fromHash<Data, Result>(this.ctx, item.id, item.carried) : byId.get(item.id);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  /** How many of the group's waiting jobs have a priority (its priority set). */
  async prioritizedCount(): Promise<number> {
    return this.client.zcard(this.keys.group(this.group).prio);
  }

  /** Counts of the group's jobs by state, in bounded work (no job or entry is read). */
  async getJobCounts(): Promise<JobCounts> {
    const g = this.keys.group(this.group);
    const [waiting, replies] = await Promise.all([
      waitingCount(this.client, this.keys, this.group),
      this.client
        .pipeline()
        .zcard(g.active)
        .zcard(this.keys.delayed)
        .zcard(g.retry)
        .zcard(g.completed)
        .zcard(g.failed)
        .exists(g.paused)
        .zcard(this.keys.waitingChildren)
        .exec(),
    ]);
    const n = (replies ?? []).map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    return {
      waiting: waiting.waiting,
      active: n[0]!,
      delayed: n[1]! + n[2]!,
      completed: n[3]!,
      failed: n[4]!,
      paused: n[5]! === 1,
      'waiting-children': n[6]!,
    };
  }
}

export interface WaitingCount {
  /** Every job waiting for the group: unread stream entries, redeliveries, prioritised and ordered jobs. */
  waiting: number;
  /** Its unread stream entries (see streamBacklog): exact unless `exact` is false. */
  unread: number;
  exact: boolean;
}

/**
 * The jobs waiting for a group, counted as getJobCounts and getGroups count them; `groups`: the
 * stream's consumer groups when the caller has them already.
 */
export async function waitingCount(client: Redis, keys: QueueKeys, group: string, groups?: StreamGroupInfo[]): Promise<WaitingCount> {
  const g = keys.group(group);
  const info = (groups ?? (await streamGroups(client, keys))).find((s) => s.name === group);
  const [backlog, replies] = await Promise.all([
    streamBacklog(client, keys, group, info),
    client.pipeline().llen(g.wait).zcard(g.prio).hget(g.keyState, '#waiting').exec(),
  ]);
  const n = (replies ?? []).map(([err, v]) => {
    if (err) throw err;
    return Number(v) || 0;
  });
  return { waiting: n[0]! + n[1]! + n[2]! + backlog.unread, unread: backlog.unread, exact: backlog.exact };
}

/** The reader (and job context) of each consumer group a Queue reads, made once per group. */
export class GroupReaders<Data, Result> {
  private readonly byGroup = new Map<string, QueueReader<Data, Result>>();

  constructor(private readonly base: Omit<JobContext, 'group'>) {}

  /** The group's reader; `group` is a checked group name. */
  of(group: string): QueueReader<Data, Result> {
    let reader = this.byGroup.get(group);
    if (!reader) {
      reader = new QueueReader<Data, Result>({ ...this.base, group });
      this.byGroup.set(group, reader);
    }
    return reader;
  }
}
