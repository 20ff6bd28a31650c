// The read side of a queue for one consumer group: jobs by id or state, and counts. A group
// sees its own records; a job it has not met yet is read where it waits (its stream entry, or
// its published record while delayed).
import type { Redis } from 'ioredis';
import { InvalidOptionError } from './errors.js';
import { Job, type JobContext, type JobState } from './job.js';
import type { QueueKeys } from './keys.js';
import { carriedJobHash, findWaitingEntry, groupCursor, publishedNotYetMet } from './stream-entries.js';

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: boolean;
}

export class QueueReader<Data, Result> {
  private readonly client: Redis;
  private readonly keys: QueueKeys;
  private readonly group: string;

  constructor(private readonly ctx: JobContext) {
    this.client = ctx.client;
    this.keys = ctx.scripts.keys;
    this.group = ctx.group;
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
    // a plain job that no worker of the group has leased yet lives in its stream entry only
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
      if (!err && hash && Object.keys(hash as object).length > 0) jobs.push(Job.fromHash(this.ctx, ids[i]!, hash as Record<string, string>));
    });
    return jobs;
  }

  async getJobIds(state: JobState, start = 0, end = -1): Promise<string[]> {
    const g = this.keys.group(this.group);
    switch (state) {
      case 'completed':
      case 'failed':
        return this.client.zrevrange(g[state], String(start), String(end));
      case 'active':
        return this.client.zrange(g.active, String(start), String(end));
      case 'delayed':
        return (await this.delayedJobs(start, end)).map((d) => d.id);
      case 'waiting':
        return (await this.waitingJobs(start, end)).map((w) => w.id);
      default:
        throw new InvalidOptionError(`unknown state "${String(state)}"; use waiting, active, delayed, completed or failed`);
    }
  }

  /** Delayed jobs (the queue's, not yet in any group) and the group's scheduled retries, soonest first. */
  private async delayedJobs(start: number, end: number): Promise<{ id: string; published: boolean }[]> {
    const stop = end < 0 ? Number.MAX_SAFE_INTEGER : end;
    const [a, b] = await Promise.all([
      this.client.zrange(this.keys.delayed, '0', String(end < 0 ? -1 : end), 'WITHSCORES'),
      this.client.zrange(this.keys.group(this.group).retry, '0', String(end < 0 ? -1 : end), 'WITHSCORES'),
    ]);
    const all: { id: string; published: boolean; at: number }[] = [];
    // (RESP3 answers pairs, RESP2 a flat list)
    for (const [list, published] of [[a.flat(), true], [b.flat(), false]] as [string[], boolean][]) {
      for (let i = 0; i < list.length; i += 2) all.push({ id: list[i]!, published, at: Number(list[i + 1]) });
    }
    all.sort((x, y) => x.at - y.at);
    return all.slice(start, stop + 1);
  }

  /** Waiting jobs in the order they will be leased: redeliveries, the stream, then priorities. */
  private async waitingJobs(start: number, end: number): Promise<{ id: string; carried?: Record<string, string> }[]> {
    const g = this.keys.group(this.group);
    const stop = end < 0 ? Number.MAX_SAFE_INTEGER : end;
    const out: { id: string; carried?: Record<string, string> }[] = (await this.client.lrange(g.wait, '0', String(end < 0 ? -1 : end))).map((id) => ({ id }));
    if (out.length < stop + 1) {
      const { lastDeliveredId } = await groupCursor(this.client, this.keys, this.group);
      const count = Math.min(stop + 1 - out.length, 100_000);
      const entries = (await this.client.xrange(this.keys.stream, `(${lastDeliveredId}`, '+', 'COUNT', count)) as [string, string[]][];
      for (const [entryId, fields] of entries) {
        if (fields[0] === 'j' && fields[1] !== undefined) out.push({ id: fields[1], carried: carriedCopy(fields) });
        else {
          const carried = carriedJobHash(entryId, fields);
          if (carried) out.push({ id: entryId, carried });
        }
      }
    }
    if (out.length < stop + 1) out.push(...(await this.client.zrange(g.prio, '0', String(end < 0 ? -1 : end))).map((id) => ({ id })));
    return out.slice(start, stop + 1);
  }

  async getJobs(state: JobState, start = 0, end = -1): Promise<Job<Data, Result>[]> {
    if (state === 'delayed') {
      const delayed = await this.delayedJobs(start, end);
      const [published, retries] = await Promise.all([
        this.jobsByIds(delayed.filter((d) => d.published).map((d) => d.id), this.keys.group('default')),
        this.jobsByIds(delayed.filter((d) => !d.published).map((d) => d.id)),
      ]);
      return [...published, ...retries].sort((x, y) => delayed.findIndex((d) => d.id === x.id) - delayed.findIndex((d) => d.id === y.id));
    }
    if (state !== 'waiting') return this.jobsByIds(await this.getJobIds(state, start, end));
    const waiting = await this.waitingJobs(start, end);
    const recorded = await this.jobsByIds(waiting.filter((w) => !w.carried).map((w) => w.id));
    const byId = new Map(recorded.map((j) => [j.id, j]));
    const jobs: Job<Data, Result>[] = [];
    for (const w of waiting) {
      const job = w.carried ? Job.fromHash<Data, Result>(this.ctx, w.id, w.carried) : byId.get(w.id);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async getJobCounts(): Promise<JobCounts> {
    const g = this.keys.group(this.group);
    const [cursor, replies] = await Promise.all([
      groupCursor(this.client, this.keys, this.group),
      this.client
        .pipeline()
        .llen(g.wait)
        .zcard(g.prio)
        .zcard(g.active)
        .zcard(this.keys.delayed)
        .zcard(g.retry)
        .zcard(g.completed)
        .zcard(g.failed)
        .exists(g.paused)
        .xlen(this.keys.stream)
        .hget(g.keyState, '#waiting')
        .exec(),
    ]);
    const n = (replies ?? []).map(([err, v]) => {
      if (err) throw err;
      return Number(v);
    });
    let inStream = cursor.lag;
    if (inStream === null) {
      // unknown before the group exists (then the whole stream waits), or after an entry past
      // the cursor was deleted: then the length less the entries already read (kept until
      // the next trim, or for replay)
      const read = cursor.exists ? await this.countUpTo(cursor.lastDeliveredId) : 0;
      inStream = Math.max(0, n[8]! - read);
    }
    return {
      waiting: n[0]! + n[1]! + inStream + (n[9] || 0),
      active: n[2]!,
      delayed: n[3]! + n[4]!,
      completed: n[5]!,
      failed: n[6]!,
      paused: n[7]! === 1,
    };
  }

  /** Entries up to and including `id` (those a group has read), counted in pages. */
  private async countUpTo(id: string): Promise<number> {
    let count = 0;
    let from = '-';
    for (;;) {
      const page = (await this.client.xrange(this.keys.stream, from, id, 'COUNT', 1000)) as [string, string[]][];
      count += page.length;
      if (page.length < 1000) return count;
      from = `(${page[page.length - 1]![0]}`;
    }
  }
}

/** An entry j = id written for fan-out carries a copy of the job (n, d, o, ts, ...). */
function carriedCopy(fields: string[]): Record<string, string> | undefined {
  if (fields[2] !== 'n' || fields[5] === undefined) return undefined;
  const copy: Record<string, string> = { s: 'waiting', a: '0', dl: '0' };
  for (let i = 2; i + 1 < fields.length; i += 2) if (fields[i + 1] !== '') copy[fields[i]!] = fields[i + 1]!;
  return copy;
}
