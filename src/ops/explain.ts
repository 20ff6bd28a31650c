// queue.explain(jobId): why a job is not running now, as data and one plain sentence
// (docs/explain.md). It reads the job's record and the few keys that can hold it back — its
// place, the group's pause flag, rate limit, ordering key, lease, the workers' last poll —
// with bounded reads only (invariant 10, docs/invariants.md): positions are counted up to a
// cap ("at least N"), holders are looked for among the first jobs of a set. It changes nothing.
import type { Redis } from 'ioredis';
import type { JobState } from '../job/job-state.js';
import { JobField, type QueueKeys } from '../redis/keys.js';
import { redisNow } from '../redis/connection.js';
import { tokenWorkerTag, workerTagOf } from '../redis/lease-token.js';
import { MAX_LISTED_WORKERS } from '../metrics/metrics-store.js';
import { findWaitingEntry, publishedNotYetMet } from '../redis/streams.js';
import { explainWaiting, when, type WaitingFacts } from './explain-waiting.js';

/** Why a job is not running now (the `reason` of an {@link Explanation}). */
export type ExplainReason =
  | 'not-found'
  | 'completed'
  | 'dead-lettered'
  | 'active'
  | 'lease-expired'
  | 'delayed'
  | 'waiting-children'
  | 'retry-scheduled'
  | 'paused'
  | 'no-workers'
  | 'workers-busy'
  | 'rate-limited'
  | 'key-held'
  | 'key-rate-limited'
  | 'waiting';

/** What {@link Queue.explain} answers: the job's state, why it is not running now, and the facts behind it. */
export interface Explanation {
  /** The job's id, as asked. */
  jobId: string;
  /** The consumer group it was asked about. */
  group: string;
  /** The job's state in that group ('unknown' when it is not found). */
  state: JobState | 'unknown';
  /** Why it is not running now (or that it is: 'active'). */
  reason: ExplainReason;
  /** One plain-English sentence saying so. */
  message: string;
  /** The facts the reason rests on (times in ms since the epoch, Redis time); which ones depends on the reason. */
  details: Record<string, unknown>;
}

/** Options of {@link Queue.explain}. */
export interface ExplainOptions {
  /**
   * The consumer group whose handling of the job to explain.
   * @default 'default'
   */
  group?: string;
  /**
   * How long the group's workers may go without polling before the answer blames their absence (ms).
   * @default 30000
   */
  workerIdleMs?: number;
}

/** Where the explanation is read: a queue's (or partition's) client and keys. */
export interface ExplainTarget {
  client: Redis;
  keys: QueueKeys;
}

const F = JobField;
const RECORD_FIELDS = [
  F.state,
  F.pendingChildren,
  F.attemptsMade,
  F.deliveries,
  F.due,
  F.failedReason,
  F.finishedOn,
  F.orderingKey,
  F.priority,
  F.streamEntry,
  F.token,
];

/** Explains job `id` of `group` (see Queue.explain). */
export async function explainJob(target: ExplainTarget, id: string, group: string, workerIdleMs: number): Promise<Explanation> {
  const { client, keys } = target;
  const g = keys.group(group);
  const now = await redisNow(client);
  const reads = client.pipeline();
  reads.hmget(g.job(id), ...RECORD_FIELDS);
  reads.zscore(g.active, id);
  reads.zscore(g.retry, id);
  reads.zscore(keys.delayed, id);
  const replies = (await reads.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const [fields, activeScore, retryScore, delayedScore] = replies.map((r) => r[1]) as [
    (string | null)[],
    string | null,
    string | null,
    string | null,
  ];
  let record: Record<string, string | undefined> = Object.fromEntries(RECORD_FIELDS.map((f, i) => [f, fields[i] ?? undefined]));
  let placed: WaitingFacts['place'] | undefined;
  if (!record[F.state]) {
    // not met by this group yet (a delayed job, an announced one), or a plain job in the stream
    const published = group === 'default' ? undefined : await publishedNotYetMet(client, keys, group, id);
    const plain = published ? undefined : await findWaitingEntry(client, keys, group, id);
    if (published) {
      record = published;
      placed = 'stream';
    } else if (plain) {
      // waiting in the stream, or leased without a record (active: its entry is pending)
      record = plain[F.state] === 'active' ? plain : { [F.state]: 'waiting', [F.streamEntry]: id };
      placed = 'stream';
    } else {
      return {
        jobId: id,
        group,
        state: 'unknown',
        reason: 'not-found',
        message: `Job ${id} was not found in group "${group}".`,
        details: {},
      };
    }
  }
  const state = record[F.state] as JobState;
  const base = { jobId: id, group, state };
  const attempts = Number(record[F.attemptsMade] ?? 0);
  switch (state) {
    case 'completed': {
      const finishedOn = Number(record[F.finishedOn] ?? 0) || undefined;
      return {
        ...base,
        reason: 'completed',
        message: `Job ${id} completed${finishedOn ? ` at ${when(finishedOn, now)}` : ''}; it will not run again unless retried.`,
        details: { finishedOn, attemptsMade: attempts },
      };
    }
    case 'failed': {
      const failedReason = record[F.failedReason] ?? '';
      const tries = Number(record[F.deliveries] ?? 0) || attempts;
      return {
        ...base,
        reason: 'dead-lettered',
        message: `Job ${id} was dead-lettered because "${failedReason}" after ${tries} attempt${tries === 1 ? '' : 's'}.`,
        details: {
          failedReason,
          attemptsMade: attempts,
          deliveries: Number(record[F.deliveries] ?? 0),
          finishedOn: Number(record[F.finishedOn] ?? 0) || undefined,
        },
      };
    }
    case 'active': {
      const deadline = Number(activeScore ?? 0);
      const holder = await leaseHolder(target, group, record[F.token], now);
      const until = when(deadline, now);
      if (deadline > 0 && deadline < now)
        return {
          ...base,
          reason: 'lease-expired',
          message:
            `Job ${id}'s lease ran out at ${when(deadline, now)}: its worker${holder.named} is gone or frozen; ` +
            `the next lease of a worker in group "${group}" reclaims it.`,
          details: { leaseUntil: deadline, ...holder.details },
        };
      return {
        ...base,
        reason: 'active',
        message: `Job ${id} is running: ${holder.named ? `worker${holder.named}` : 'a worker'} holds its lease until ${until}.`,
        details: { leaseUntil: deadline, deliveries: Number(record[F.deliveries] ?? 0), ...holder.details },
      };
    }
    case 'waiting-children': {
      const pending = Number(record[F.pendingChildren] ?? 0);
      return {
        ...base,
        reason: 'waiting-children',
        message: `Job ${id} is a flow's parent: it runs once its ${pending} unfinished child${pending === 1 ? '' : 'ren'} are done.`,
        details: { pendingChildren: pending },
      };
    }
    case 'delayed': {
      const retry = retryScore !== null;
      const due = Math.floor(Number(retryScore ?? delayedScore ?? record[F.due] ?? 0));
      if (due > now) {
        return retry
          ? {
              ...base,
              reason: 'retry-scheduled',
              message:
                `Job ${id} is waiting for its retry at ${when(due, now)}, after ${attempts} failed ` +
                `attempt${attempts === 1 ? '' : 's'} (last: "${record[F.failedReason] ?? ''}").`,
              details: { dueAt: due, attemptsMade: attempts, failedReason: record[F.failedReason] },
            }
          : { ...base, reason: 'delayed', message: `Job ${id} is delayed until ${when(due, now)}.`, details: { dueAt: due } };
      }
      // due already: the next lease promotes it, if a worker polls
      return explainWaiting(target, { id, group, now, workerIdleMs, record, place: 'due', dueAt: due }, base);
    }
    default:
      return explainWaiting(target, { id, group, now, workerIdleMs, record, place: placed }, base);
  }
}

/**
 * Which worker holds a job's lease: its token begins with the worker's tag (redis/lease-token.ts),
 * looked for among the group's newest registry entries, live or expired (a dead worker's stays
 * until it is pruned). `named` is " <id>" for the message ("" when unknown); a worker with
 * metrics off is not in the registry: then only its tag is known.
 */
async function leaseHolder(
  target: ExplainTarget,
  group: string,
  token: string | undefined,
  now: number,
): Promise<{ named: string; details: Record<string, unknown> }> {
  const tag = tokenWorkerTag(token);
  if (!tag) return { named: '', details: {} };
  const entries = await target.client.zrevrange(target.keys.group(group).workers, 0, MAX_LISTED_WORKERS - 1, 'WITHSCORES');
  for (let i = 0; i < entries.length; i += 2) {
    const workerId = entries[i]!;
    if (workerTagOf(workerId) !== tag) continue;
    const alive = Number(entries[i + 1]) > now;
    return { named: ` ${workerId}${alive ? '' : ' (no longer heartbeating)'}`, details: { worker: workerId, workerAlive: alive } };
  }
  return { named: ` …${tag} (not in the worker registry: metrics off?)`, details: { workerTag: tag } };
}
