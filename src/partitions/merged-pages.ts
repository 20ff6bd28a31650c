// Paged reads of a partitioned queue: each partition's list is in a single queue's order, and
// the lists are merged head by head on what that order goes by (waiting: when added; active:
// when started; delayed: when due, as the job's options say; finished: newest first), so each
// partition's own order is kept. Bounded as a single queue's reads are: getJobs asks every
// partition for at most start+count jobs (at most MAX_PAGE), and getJobsPage for at most two
// pages per partition, its cursor holding each partition's own cursor. It only reads.
import { InvalidOptionError } from '../errors.js';
import type { Job, JobState } from '../job/job.js';
import { checkState, MAX_PAGE, pageCount, rangeCount } from '../job/job-pages.js';
import type { Queue } from '../queue/queue.js';
import type { GroupOption } from '../queue/queue-options.js';
import type { JobsPage, PageOptions } from '../queue/queue-reader.js';

type AnyJob = Job<unknown, unknown>;

/** What a state's order goes by, smallest first. */
function orderKey(state: JobState): (job: AnyJob) => number {
  switch (state) {
    case 'waiting':
      return (j) => j.timestamp;
    case 'active':
      return (j) => j.processedOn ?? j.timestamp;
    case 'delayed':
      return (j) => j.timestamp + (typeof j.opts.delay === 'number' ? j.opts.delay : 0);
    default:
      return (j) => -(j.finishedOn ?? j.timestamp);
  }
}

/** The lists merged head by head (at equal keys, the lower partition first); each item says its list. */
function merge<T extends AnyJob>(lists: T[][], state: JobState, limit: number): { job: T; from: number }[] {
  const key = orderKey(state);
  const at = lists.map(() => 0);
  const out: { job: T; from: number }[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let p = 0; p < lists.length; p++) {
      const head = lists[p]![at[p]!];
      if (head && (best < 0 || key(head) < key(lists[best]![at[best]!]!))) best = p;
    }
    if (best < 0) break;
    out.push({ job: lists[best]![at[best]!]!, from: best });
    at[best]!++;
  }
  return out;
}

/** getJobs over the partitions: positions start..end of the merged order. */
export async function mergedJobs<D, R>(
  parts: Queue<D, R>[],
  state: JobState,
  start: number,
  end: number,
  opts: GroupOption,
): Promise<Job<D, R>[]> {
  checkState(state);
  const count = rangeCount(start, end);
  if (start + count > MAX_PAGE) {
    throw new InvalidOptionError(
      `on a partitioned queue, getJobs reads positions below ${MAX_PAGE} only (every partition is read from 0); ` +
        `${start}..${start + count - 1} goes beyond: page with getJobsPage`,
    );
  }
  const lists = await Promise.all(parts.map((p) => p.getJobs(state, 0, start + count - 1, opts)));
  return merge(lists, state, start + count)
    .slice(start)
    .map((m) => m.job);
}

/** Where a partition stands in a paged read: its own cursor (undefined: its start) and jobs to skip from there; null: done. */
type Position = { cursor: string | undefined; skip: number } | null;

const CURSOR_PREFIX = 'P';

function encodeCursor(positions: Position[]): string {
  const flat = positions.map((p) => (p === null ? 0 : [p.cursor ?? '', p.skip]));
  return CURSOR_PREFIX + Buffer.from(JSON.stringify(flat)).toString('base64url');
}

function decodeCursor(cursor: unknown, count: number): Position[] {
  const bad = () =>
    new InvalidOptionError(`not a cursor of this partitioned queue: ${JSON.stringify(cursor)}; pass the next of the previous page`);
  if (typeof cursor !== 'string' || !cursor.startsWith(CURSOR_PREFIX)) throw bad();
  let flat: unknown;
  try {
    flat = JSON.parse(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString());
  } catch {
    throw bad();
  }
  if (!Array.isArray(flat) || flat.length !== count) throw bad();
  return flat.map((p): Position => {
    if (p === 0) return null;
    if (!Array.isArray(p) || typeof p[0] !== 'string' || !Number.isSafeInteger(p[1]) || p[1] < 0 || p[1] > MAX_PAGE) throw bad();
    return { cursor: p[0] === '' ? undefined : p[0], skip: p[1] as number };
  });
}

/**
 * getJobsPage over the partitions: every partition's next page (after skipping what earlier
 * pages took of its last one), merged, the first `count` taken. The cursor holds where each
 * partition stands. A job that goes away between pages can make a job show on two pages.
 */
export async function mergedPage<D, R>(parts: Queue<D, R>[], state: JobState, opts: PageOptions & GroupOption): Promise<JobsPage<D, R>> {
  if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('getJobsPage options must be an object');
  checkState(state);
  const count = pageCount(opts.count);
  const { cursor, count: _count, ...rest } = opts;
  const positions = cursor === undefined ? parts.map((): Position => ({ cursor: undefined, skip: 0 })) : decodeCursor(cursor, parts.length);
  const read = await Promise.all(
    parts.map(async (part, p) => {
      let at = positions[p]!;
      if (at === null) return { at, page: { jobs: [], next: null } as JobsPage<D, R> };
      if (at.skip > 0) {
        const passed = await part.getJobsPage(state, { ...rest, cursor: at.cursor, count: at.skip });
        if (passed.next === null) return { at: null, page: { jobs: [], next: null } as JobsPage<D, R> };
        at = { cursor: passed.next, skip: 0 };
      }
      return { at, page: await part.getJobsPage(state, { ...rest, cursor: at.cursor, count }) };
    }),
  );
  const taken = merge(
    read.map((r) => r.page.jobs),
    state,
    count,
  );
  const next: Position[] = read.map(({ at, page }, p) => {
    if (at === null) return null;
    const took = taken.filter((t) => t.from === p).length;
    if (took < page.jobs.length) return { cursor: at.cursor, skip: took };
    return page.next === null ? null : { cursor: page.next, skip: 0 };
  });
  return { jobs: taken.map((t) => t.job), next: next.every((p) => p === null) ? null : encodeCursor(next) };
}
