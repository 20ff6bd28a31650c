// Queues for tests: each under a unique key prefix, so tests share one Redis (even a
// developer's own, via REDIS_URL) without seeing each other's keys, and each deletes exactly
// what it made. A TestQueue is a Queue: inject it where the application expects one.
import { randomBytes } from 'node:crypto';
import type { ConnectionInput } from '../redis/connection.js';
import { Queue, type GroupOption, type QueueOptions } from '../queue/queue.js';
import { compareStreamIds } from '../redis/streams.js';

/** A field list reply of XINFO as an object. */
function fields(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

/**
 * Whether the stream holds entries the group has not read: its cursor is before the last
 * entry (exact, unlike XINFO's lag, which Redis cannot always tell). Without a consumer group
 * yet, the default group has all of them unread (its first worker reads from the start).
 */
function unreadEntries(groupsReply: unknown, streamReply: unknown, group: string): boolean {
  const stream = fields(streamReply);
  const last = Array.isArray(stream['last-entry']) ? String(stream['last-entry'][0]) : undefined;
  if (!last || Number(stream.length ?? 0) === 0) return false;
  const info = (Array.isArray(groupsReply) ? groupsReply : []).map(fields).find((f) => String(f.name) === group);
  if (!info) return group === 'default';
  return compareStreamIds(String(info['last-delivered-id']), last) < 0;
}

/** A key prefix no other test uses: `label-` and 8 random hex digits. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

/** Queue options, with the prefix optional (a unique one by default). */
export type TestQueueOptions = Omit<QueueOptions, 'prefix'> & { prefix?: string };

export class TestQueue<Data = unknown, Result = unknown> extends Queue<Data, Result> {
  /** What a Worker of this queue needs: `new Worker(queue.name, fn, { ...queue.workerOptions })`. */
  readonly workerOptions: { readonly connection: ConnectionInput; readonly prefix: string };
  private cleaned = false;

  constructor(name: string, opts: TestQueueOptions) {
    const prefix = opts.prefix ?? uniquePrefix();
    super(name, { ...opts, prefix });
    this.workerOptions = { connection: opts.connection, prefix };
  }

  /**
   * True when the group (default unless given) has nothing waiting, nothing active and nothing
   * due now: no delayed job, retry, repeating slot or parked ordering key whose time has come
   * (by Redis' clock). Work due later does not count, unless `delayed` is 'all': then any
   * delayed job or retry does (promote it with promoteJobs to run it now).
   */
  async isDrained(opts: GroupOption & { delayed?: 'due' | 'all' } = {}): Promise<boolean> {
    const group = opts.group ?? 'default';
    const g = this.keys.group(group);
    // One MULTI: read one set after another, a job moving between them (waiting -> active ->
    // retry) could be missed, and a queue with work left look drained.
    const replies =
      (await this.client
        .multi()
        .call('XINFO', 'GROUPS', this.keys.stream)
        .call('XINFO', 'STREAM', this.keys.stream)
        .llen(g.wait)
        .zcard(g.prio)
        .hget(g.keyState, '#waiting')
        .zcard(g.active)
        .zcard(this.keys.delayed)
        .zcard(g.retry)
        .zrange(this.keys.delayed, '0', '0', 'WITHSCORES')
        .zrange(g.retry, '0', '0', 'WITHSCORES')
        .time()
        .exec()) ?? [];
    // (XINFO answers an error when there is no stream: nothing to read then)
    const [groups, stream, ...rest] = replies.map(([err, value]) => (err ? undefined : value));
    const [wait, prio, keyed, active, delayed, retries, firstDelayed, firstRetry, time] = rest as [
      number,
      number,
      string | null,
      number,
      number,
      number,
      string[],
      string[],
      [string, string],
    ];
    if (wait + prio + (Number(keyed) || 0) + active > 0 || unreadEntries(groups, stream, group)) return false;
    if (opts.delayed === 'all' && delayed + retries > 0) return false;
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    // due: scores below now + 1 (the whole current ms, as the workers promote them)
    if ([firstDelayed[1], firstRetry[1]].some((score) => score !== undefined && Number(score) < now + 1)) return false;
    // repeating slots and parked ordering keys (a worker that takes them reports an event)
    const due = await this.scripts.nextDue(group);
    return !(due.at !== undefined && due.at <= due.now);
  }

  /** Deletes every key of the queue (active jobs too) and closes it; idempotent. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    try {
      await this.obliterate({ force: true });
    } finally {
      await this.close();
    }
  }
}

/**
 * A queue under a unique key prefix (unless `prefix` is given); `cleanup()` deletes it.
 * @example
 * const queue = createTestQueue<{ orderId: number }, string>('orders', { connection: redis.url });
 * afterEach(() => queue.cleanup());
 */
export function createTestQueue<Data = unknown, Result = unknown>(name: string, opts: TestQueueOptions): TestQueue<Data, Result> {
  return new TestQueue<Data, Result>(name, opts);
}
