// What the Lua scripts answer, decoded once into named results (scripts.ts calls these): no
// caller compares the numbers a script returns. Each result cites the "Returns" line of the
// script header it decodes. Does not call Redis.

/** A job as the lease and complete scripts hand it over (its token is nonce.k, see lease.lua). */
export interface LeasedJobRaw {
  id: string;
  token: string;
  name: string;
  data: string;
  opts: string;
  timestamp: number;
  attemptsMade: number;
  deliveries: number;
  stalls: number;
}

export interface LeaseReply {
  now: number;
  /** ms until the next delayed job, retry or lease deadline; undefined: nothing scheduled (-1 in the reply). */
  waitMs: number | undefined;
  /**
   * Fewer jobs than asked for, or a woken worker's full batch that took all there was: the queue
   * is empty (or limited) for now; block on the group's wake marker (with no free slot: after
   * the next ack, sent alone, see LeaseCalls.ackAloneNext).
   */
  idle: boolean;
  paused: boolean;
  /** The group's rate limit allows no more starts right now (waitMs says until when, at most). */
  limitedNow: boolean;
  /**
   * The group has a rate limit (a limiter, or a dynamic limit still running), limited now or not:
   * lease only for free slots (no prefetch).
   */
  hasRateLimit: boolean;
  /**
   * A partition whose queue has a rate limit (the whole queue's, src/partitions/rate-gate.ts):
   * it leases only starts reserved first; a call without them leased nothing.
   */
  queueLimited: boolean;
  /** A repeating job's slot is due: the worker fires it. */
  schedulersDue: boolean;
  stalled: string[];
  dead: { id: string; reason: string }[];
  jobs: LeasedJobRaw[];
}

/**
 * enqueue.lua, per job: `added`; `existed`: not added, because its own id exists already or
 * because a job holds its deduplication id (the script does not tell these two apart: the reply
 * names the existing job either way); `replaced`: a deduplication id with replace (debounce)
 * whose holder still waited took the new data, options and delay; `full`: refused, the queue
 * is at its maxLength (the reply's id is then the room stream's last id, to wait on).
 */
export type EnqueueStatus = 'added' | 'existed' | 'replaced' | 'full';

/** remove-job.lua: `notFound`: no such job in the group (or the queue); `active`: refused, a worker holds it. */
export type RemoveJobResult = 'removed' | 'notFound' | 'active';

/** One batch of remove-group.lua or obliterate.lua: `more` to delete (call again), `done`, or `refused` (active jobs, not forced). */
export type BatchStep = 'more' | 'done' | 'refused';

/**
 * create-group.lua: 'created', 'created-with-default' (the queue held jobs for the implicit
 * default group, which became a member), 'created-without-default' (it held jobs, and
 * keepDefault was false: it did not become one), or 'existed'.
 */
export type CreateGroupResult = 'created' | 'created-with-default' | 'created-without-default' | 'existed';

/** log.lua: the number of lines the log holds now, or `notHolder` (refused: the token is not the current one). */
export type LogResult = number | 'notHolder';

/** Reads a numeric status through its script's table of names; a number the table lacks is a protocol bug. */
function named<T extends string>(script: string, names: Record<number, T>, reply: unknown): T {
  const name = names[Number(reply)];
  if (name === undefined) throw new Error(`script ${script}: unexpected reply ${String(reply)}`);
  return name;
}

/** A time or delay the script answers with -1 for "none". */
function dueOrNone(reply: unknown): number | undefined {
  const value = Number(reply);
  return value >= 0 ? value : undefined;
}

const ENQUEUE_STATUS: Record<number, EnqueueStatus> = { 1: 'added', 0: 'existed', 2: 'replaced', 3: 'full' };
const REMOVE_JOB: Record<number, RemoveJobResult> = { 1: 'removed', 0: 'notFound', [-1]: 'active' };
const BATCH_STEP: Record<number, BatchStep> = { 1: 'more', 0: 'done', [-1]: 'refused' };
const CREATE_GROUP: Record<number, CreateGroupResult> = {
  0: 'existed',
  1: 'created',
  2: 'created-with-default',
  3: 'created-without-default',
};

/** enqueue.lua's flat reply: now, then (id, status) per job in the order given. */
export function decodeEnqueue(reply: unknown[]): { now: number; jobs: { id: string; status: EnqueueStatus }[] } {
  const jobs: { id: string; status: EnqueueStatus }[] = [];
  for (let i = 1; i < reply.length; i += 2) jobs.push({ id: String(reply[i]), status: named('enqueue', ENQUEUE_STATUS, reply[i + 1]) });
  return { now: Number(reply[0]), jobs };
}

export const decodeRemoveJob = (reply: unknown): RemoveJobResult => named('remove-job', REMOVE_JOB, reply);
export const decodeBatchStep = (script: 'remove-group' | 'obliterate', reply: unknown): BatchStep => named(script, BATCH_STEP, reply);
export const decodeCreateGroup = (reply: unknown): CreateGroupResult => named('create-group', CREATE_GROUP, reply);

export function decodeLog(reply: unknown): LogResult {
  const kept = Number(reply);
  return kept < 0 ? 'notHolder' : kept;
}

/** upsert-scheduler.lua: the next slot (ms), or undefined when the schedule has no slot left (-1). */
export const decodeNextSlot = (reply: unknown): number | undefined => dueOrNone(reply);

/** next-due.lua: Redis' now, and the group's earliest due time (ms), undefined when nothing is due. */
export function decodeNextDue(reply: unknown[]): { now: number; at: number | undefined } {
  return { now: Number(reply[0]), at: dueOrNone(reply[1]) };
}

/** The flags item of the lease reply (see lease.lua): 1 paused, 2 limited now, 4 has a rate limit, 8 queue limit. */
const FLAG_PAUSED = 1;
const FLAG_LIMITED_NOW = 2;
const FLAG_HAS_RATE_LIMIT = 4;
const FLAG_QUEUE_LIMIT = 8;

/** The lease part of a lease or complete reply, from item `start` on (see lease.lua "Returns"). */
export function decodeLease(reply: unknown[], start: number, nonce: string): LeaseReply {
  let i = start;
  const next = () => reply[i++];
  const now = Number(next());
  const waitMs = dueOrNone(next());
  const idle = Number(next()) === 1;
  const flags = Number(next());
  const paused = (flags & FLAG_PAUSED) !== 0;
  const limitedNow = (flags & FLAG_LIMITED_NOW) !== 0;
  const hasRateLimit = (flags & FLAG_HAS_RATE_LIMIT) !== 0;
  const queueLimited = (flags & FLAG_QUEUE_LIMIT) !== 0;
  const schedulersDue = Number(next()) === 1;
  const stalled: string[] = [];
  for (let n = Number(next()); n > 0; n--) stalled.push(String(next()));
  const dead: { id: string; reason: string }[] = [];
  for (let n = Number(next()); n > 0; n--) dead.push({ id: String(next()), reason: String(next()) });
  const jobs: LeasedJobRaw[] = [];
  const count = Number(next());
  for (let k = 1; k <= count; k++) {
    const id = String(next());
    const name = String(next());
    const data = String(next());
    const opts = String(next());
    // "timestamp:attemptsMade:deliveries:stalls" in one item (see leaseJobs.lua appendJob)
    const numbers = String(next()).split(':');
    jobs.push({
      id,
      token: `${nonce}.${k}`,
      name,
      data,
      opts,
      timestamp: Number(numbers[0]),
      attemptsMade: Number(numbers[1]),
      deliveries: Number(numbers[2]),
      stalls: Number(numbers[3]),
    });
  }
  return { now, waitMs, idle, paused, limitedNow, hasRateLimit, queueLimited, schedulersDue, stalled, dead, jobs };
}

/** complete.lua's reply: the refused ids (count first), then the lease part. */
export function decodeComplete(reply: unknown[], nonce: string): { refused: string[]; lease: LeaseReply } {
  const refused: string[] = [];
  const n = Number(reply[0]);
  for (let i = 1; i <= n; i++) refused.push(String(reply[i]));
  return { refused, lease: decodeLease(reply, n + 1, nonce) };
}

/** reserve-starts.lua: starts granted, and when none, the ms until one is allowed (Redis time `now`). */
export interface StartsGrant {
  now: number;
  granted: number;
  waitMs: number | undefined;
  /** The group has a rate limit. */
  limited: boolean;
}

/** extend.lua's reply: lost ids, then after '' the cancel requests as id, reason pairs. */
export function decodeRenewal(reply: string[]): { lost: string[]; cancelled: [string, string][] } {
  const at = reply.indexOf('');
  if (at < 0) return { lost: reply, cancelled: [] };
  const cancelled: [string, string][] = [];
  for (let i = at + 1; i + 1 < reply.length; i += 2) cancelled.push([reply[i]!, reply[i + 1]!]);
  return { lost: reply.slice(0, at), cancelled };
}
