// BullMQ's ways to read a queue's jobs over several states at once: getJobs(types, start, end,
// asc), getJobCounts(...states) as `{ [state]: number }`, and the states clean() takes. Built on
// the one-state reads (queue-reader.ts, or the merged reads of a partitioned queue), so that a
// Queue and a PartitionedQueue share them; this file reads nothing of Redis by itself.
import { InvalidOptionError } from '../errors.js';
import type { Job, JobState } from '../job/job.js';
import { MAX_PAGE, rangeCount } from '../job/job-pages.js';
import { shown } from '../validate.js';
import type { GroupOption } from './queue-options.js';
import type { JobCounts, QueueReader } from './queue-reader.js';
import { installMethods } from '../install-methods.js';

/**
 * A state getJobCounts(...states) counts and getJobs / getJobIds list: a job state, or BullMQ's
 * `'wait'` (the same as `'waiting'`), `'paused'` (the waiting jobs while the group is paused,
 * else none) and `'prioritized'` (the waiting jobs that have a priority, in the order they run).
 */
export type CountState = JobState | 'wait' | 'paused' | 'prioritized';

/** The states clean() deletes from: finished jobs, or waiting ones (`'wait'`, `'paused'`, `'prioritized'` as in CountState). */
export type CleanState = 'completed' | 'failed' | 'waiting' | 'wait' | 'delayed' | 'prioritized' | 'paused';

const COUNT_STATES: readonly CountState[] = [
  'waiting-children',
  'waiting',
  'wait',
  'active',
  'delayed',
  'completed',
  'failed',
  'paused',
  'prioritized',
];

/** A state as getJobs reads it: `'wait'` is `'waiting'`; the others are read as they are named. */
type ListState = Exclude<CountState, 'wait'>;

function listState(t: unknown): ListState {
  if (!COUNT_STATES.includes(t as CountState)) {
    throw new InvalidOptionError(`unknown state "${shown(t)}"; use ${COUNT_STATES.join(', ')}`);
  }
  return t === 'wait' ? 'waiting' : (t as ListState);
}

/** The states of a getJobs call: one or several, each once, in the order given. */
function jobStates(types: CountState | CountState[]): ListState[] {
  const list = Array.isArray(types) ? types : [types];
  if (list.length === 0) throw new InvalidOptionError('getJobs needs at least one state');
  const states: ListState[] = [];
  for (const t of list) {
    const state = listState(t);
    if (!states.includes(state)) states.push(state);
  }
  return states;
}

/** How one state's jobs are read: positions start..end (inclusive) in its own order. */
export type StateRange<Data, Result> = (state: JobState, start: number, end: number) => Promise<Job<Data, Result>[]>;

/** How the prioritised jobs are read, where they can be: their number, and positions start..end of their order. */
export interface PrioritizedReads<Data, Result> {
  count(): Promise<number>;
  range(start: number, end: number): Promise<Job<Data, Result>[]>;
}

/**
 * Positions start..end of the states' jobs one after the other (in `types`' order), each state
 * in its own order (see Queue.getJobs) or, with `asc`, finished jobs oldest first. Bounded:
 * the counts (one read), then from each state only the positions the page needs. `paused` is
 * read as `waiting` while the group is paused (else it is empty); `prioritized` needs
 * `prioritized` (without it, it is refused).
 */
export async function jobsOfTypes<Data, Result>(
  types: CountState | CountState[],
  start: number,
  end: number,
  asc: boolean,
  range: StateRange<Data, Result>,
  counts: () => Promise<JobCounts>,
  prioritized?: PrioritizedReads<Data, Result>,
): Promise<Job<Data, Result>[]> {
  const states = jobStates(types);
  if (states.includes('prioritized') && !prioritized) {
    throw new InvalidOptionError('getJobs cannot list "prioritized" on a partitioned queue; list "waiting" (priorities come last)');
  }
  let want = rangeCount(start, end);
  const [known, prio] = await Promise.all([counts(), states.includes('prioritized') ? prioritized!.count() : 0]);
  let skip = start;
  const jobs: Job<Data, Result>[] = [];
  for (const state of states) {
    if (want === 0) break;
    const size = state === 'paused' ? (known.paused ? known.waiting : 0) : state === 'prioritized' ? prio : known[state];
    if (skip >= size) {
      skip -= size;
      continue;
    }
    const take = Math.min(want, size - skip, MAX_PAGE);
    if (asc && (state === 'completed' || state === 'failed')) {
      // stored newest first: the oldest are at the end
      const from = Math.max(0, size - skip - take);
      jobs.push(...(await range(state, from, size - skip - 1)).reverse());
    } else if (state === 'prioritized') {
      jobs.push(...(await prioritized!.range(skip, skip + take - 1)));
    } else {
      jobs.push(...(await range(state === 'paused' ? 'waiting' : state, skip, skip + take - 1)));
    }
    want -= take;
    skip = 0;
  }
  return jobs;
}

/** getJobCounts' arguments: state names, then optionally `{ group }`. */
export function countArgs(args: unknown[]): { states: CountState[]; opts: GroupOption } {
  const last = args.at(-1);
  const opts = typeof last === 'object' && last !== null ? (last as GroupOption) : {};
  const names = typeof last === 'object' && last !== null ? args.slice(0, -1) : args;
  const states: CountState[] = [];
  for (const name of names) {
    if (!COUNT_STATES.includes(name as CountState)) {
      throw new InvalidOptionError(`unknown state "${shown(name)}"; use ${COUNT_STATES.join(', ')}`);
    }
    if (!states.includes(name as CountState)) states.push(name as CountState);
  }
  return { states, opts };
}

/** `{ [state]: number }` for the states asked, from the group's counts (and its prioritised jobs when asked). */
export async function countsOfStates(
  states: CountState[],
  counts: () => Promise<JobCounts>,
  prioritized: () => Promise<number>,
): Promise<Record<string, number>> {
  const [c, prio] = await Promise.all([counts(), states.includes('prioritized') ? prioritized() : Promise.resolve(0)]);
  const result: Record<string, number> = {};
  for (const state of states) {
    if (state === 'wait') result[state] = c.waiting;
    else if (state === 'paused') result[state] = c.paused ? c.waiting : 0;
    else if (state === 'prioritized') result[state] = prio;
    else result[state] = c[state];
  }
  return result;
}

/** Queue's getJobs, getJobIds and getJobCounts, merged into Queue's type. */
export interface QueueGetterMethods<Data, Result> {
  /**
   * The jobs in a state, positions `start..end` (inclusive; `end = -1`: a page of 100 from
   * `start`; at most 1,000 per call): waiting jobs in the order they will run, delayed ones
   * soonest first, active ones by lease deadline, finished ones newest first, flow parents
   * (`'waiting-children'`) oldest first. BullMQ's states too: `'wait'` (= `'waiting'`),
   * `'prioritized'` (the waiting jobs that have a priority, in the order they run) and
   * `'paused'` (the waiting jobs while the group is paused, else none), as getJobCounts counts
   * them. `{ group }` comes fourth (the default group unless given).
   *
   * BullMQ's way: `getJobs(types, start, end, asc, { group }?)` with one or several states: the
   * positions run over the states one after the other, in the order given, and `asc: true`
   * lists finished jobs oldest first (the other states keep their order). Only what the page
   * needs is read from each state (their counts first, then the page's part of each).
   * @throws {InvalidOptionError} an unknown state, or a range over 1,000 jobs.
   * @example
   * ```ts
   * const failedThenCompleted = await queue.getJobs(['failed', 'completed'], 0, 49, true);
   * ```
   */
  getJobs(state: CountState, start?: number, end?: number, opts?: GroupOption): Promise<Job<Data, Result>[]>;
  getJobs(types: CountState | CountState[], start?: number, end?: number, asc?: boolean, opts?: GroupOption): Promise<Job<Data, Result>[]>;
  /**
   * Ids of jobs in a state, positions `start..end` in the state's order as getJobs lists them
   * (`end = -1`: a page of 100 from `start`; at most 1,000 per call). Use getJobsPage to walk a
   * long list.
   * @throws {InvalidOptionError} an unknown state, or a range over 1,000 jobs.
   */
  getJobIds(state: CountState, start?: number, end?: number, opts?: GroupOption): Promise<string[]>;
  /**
   * Counts of one group's jobs by state (the default group unless given), in bounded work.
   *
   * BullMQ's way: given states (then `{ group }` optionally), `{ [state]: number }` of those
   * states only, numbers all: `paused` is the waiting jobs while the group is paused (else 0),
   * `prioritized` the waiting jobs that have a priority, `wait` the same as `waiting`.
   * @throws {InvalidOptionError} an unknown state.
   * @example
   * ```ts
   * const { waiting, failed } = await queue.getJobCounts('waiting', 'failed');
   * ```
   */
  getJobCounts(opts?: GroupOption): Promise<JobCounts>;
  getJobCounts(...states: (CountState | GroupOption)[]): Promise<Record<string, number>>;
}

/** What the methods use of a Queue: its reader of a group (Queue's private `reader`). */
interface ReaderHost<Data, Result> {
  reader(opts: GroupOption | undefined, method?: string): QueueReader<Data, Result>;
}

/** Is it a state of the job state machine (read by the group's reader as it is)? */
function isJobState(state: ListState): state is JobState {
  return state !== 'paused' && state !== 'prioritized';
}

/**
 * The group's prioritised jobs, positions start..end of the order they run in: the last part of
 * the waiting order, which the reader pages from its cursor `p:<rank>` (job-pages.ts).
 */
function prioritizedReads<Data, Result>(reader: QueueReader<Data, Result>): PrioritizedReads<Data, Result> {
  return {
    count: () => reader.prioritizedCount(),
    range: async (start, end) => (await reader.getJobsPage('waiting', { cursor: `p:${start}`, count: rangeCount(start, end) })).jobs,
  };
}

/** BullMQ's `paused` and `prioritized` states of one group, positions start..end. */
async function extraStateJobs<Data, Result>(
  reader: QueueReader<Data, Result>,
  state: 'paused' | 'prioritized',
  start: number,
  end: number,
): Promise<Job<Data, Result>[]> {
  rangeCount(start, end);
  if (state === 'prioritized') return prioritizedReads(reader).range(start, end);
  return (await reader.getJobCounts()).paused ? reader.getJobs('waiting', start, end) : [];
}

const getters = {
  async getJobs(this: ReaderHost<unknown, unknown>, types: CountState | CountState[], start = 0, end = -1, asc: unknown = {}, opts = {}) {
    if (typeof types === 'string' && typeof asc !== 'boolean') {
      const reader = this.reader(asc as GroupOption, 'getJobs');
      const state = listState(types);
      return isJobState(state) ? reader.getJobs(state, start, end) : extraStateJobs(reader, state, start, end);
    }
    const reader = this.reader(opts as GroupOption, 'getJobs');
    return jobsOfTypes(
      types,
      start,
      end,
      asc === true,
      (st, s, e) => reader.getJobs(st, s, e),
      () => reader.getJobCounts(),
      prioritizedReads(reader),
    );
  },
  async getJobIds(this: ReaderHost<unknown, unknown>, state: CountState, start = 0, end = -1, opts: GroupOption = {}) {
    const reader = this.reader(opts, 'getJobIds');
    const st = listState(state);
    if (isJobState(st)) return reader.getJobIds(st, start, end);
    return (await extraStateJobs(reader, st, start, end)).map((j) => j.id);
  },
  async getJobCounts(this: ReaderHost<unknown, unknown>, ...args: unknown[]) {
    if (typeof args[0] !== 'string') return this.reader(args[0] as GroupOption, 'getJobCounts').getJobCounts();
    const { states, opts } = countArgs(args);
    const reader = this.reader(opts, 'getJobCounts');
    return countsOfStates(
      states,
      () => reader.getJobCounts(),
      () => reader.prioritizedCount(),
    );
  },
};

/** Installs getJobs, getJobIds and getJobCounts on Queue's prototype (as methods are: not enumerable). */
export function addGetterMethods(cls: { prototype: object }): void {
  installMethods(cls, getters);
}
