// addBulk on a partitioned queue: every job is checked first (as addBulk checks them all before
// writing any), split by partition, sent to every part at once (each part pipelines its own
// chunks), and handed back in input order. When some parts fail, one AddBulkError names the
// jobs of the whole call by their input index: the failed parts' own reports mapped back, a
// part that failed before writing reported as not added. It does not route (PartitionedQueue).
import { AddBulkError, InvalidOptionError, QueueFullError, SluiceError } from '../errors.js';
import type { Job } from '../job/job.js';
import { validateJobOptions, type JobsOptions } from '../job/job-options.js';
import type { Queue } from '../queue/queue.js';
import { METHOD_OPTION_NAMES as NAMES } from '../queue/queue-options.js';
import { checkOptionNames, validateJobName } from '../validate.js';
import { toJson } from '../job/payload.js';
import type { Redis } from 'ioredis';
import { wrapRedisError } from '../redis/redis-errors.js';

type BulkJob<Data> = { name: string; data: Data; opts?: JobsOptions };

export async function addBulkToParts<Data, Result>(
  jobs: BulkJob<Data>[],
  partitionOf: (opts: JobsOptions | undefined) => number,
  parts: Queue<Data, Result>[],
  options: { defaults: JobsOptions; maxPayloadBytes: number },
): Promise<Job<Data, Result>[]> {
  if (!Array.isArray(jobs)) throw new InvalidOptionError('addBulk takes an array of { name, data, opts? }');
  // a part's checks, so that a bad job fails the call before any part writes (each part
  // checks its own share again as it encodes it)
  jobs.forEach((j, i) => {
    checkOptionNames(`addBulk's job ${i}`, j ?? null, NAMES.bulkJob);
    validateJobName(j.name);
    toJson(j.data, 'job data', options.maxPayloadBytes);
    const merged = { ...options.defaults, ...validateJobOptions(j.opts) };
    if (merged.lifo && merged.priority !== undefined)
      throw new InvalidOptionError('lifo and priority cannot be combined: a prioritised job runs by its priority');
  });
  const byPart = new Map<number, number[]>();
  jobs.forEach((j, i) => {
    const p = partitionOf(j.opts);
    byPart.set(p, [...(byPart.get(p) ?? []), i]);
  });
  const sent = [...byPart].map(([p, indexes]) => ({ indexes, result: parts[p]!.addBulk(indexes.map((i) => jobs[i]!)) }));
  const settled = await Promise.allSettled(sent.map((s) => s.result));
  const out: Job<Data, Result>[] = new Array(jobs.length);
  const failures = settled.filter((s) => s.status === 'rejected');
  if (failures.length === 0) {
    settled.forEach((s, n) => {
      if (s.status === 'fulfilled') for (const [k, job] of s.value.entries()) out[sent[n]!.indexes[k]!] = job;
    });
    return out;
  }
  const first = (failures[0] as PromiseRejectedResult).reason as unknown;
  if (failures.every((f) => (f as PromiseRejectedResult).reason instanceof QueueFullError))
    throw queueFull(first as QueueFullError, settled, sent);
  // an error of the input (not of Redis) is thrown as it is
  if (!(first instanceof AddBulkError) && !(first instanceof SluiceError && first.code.startsWith('REDIS_'))) throw first;
  const added: { index: number; job: Job<Data, Result> }[] = [];
  const notAdded: number[] = [];
  const unknown: number[] = [];
  settled.forEach((s, n) => {
    const { indexes } = sent[n]!;
    if (s.status === 'fulfilled') {
      for (const [k, job] of s.value.entries()) added.push({ index: indexes[k]!, job });
    } else if (s.reason instanceof AddBulkError) {
      // the part's added jobs are its inputs that are neither notAdded nor unknown, in order
      const missing = new Set([...s.reason.notAdded, ...s.reason.unknown]);
      const landed = indexes.filter((_, k) => !missing.has(k));
      for (const [k, job] of s.reason.added.entries()) added.push({ index: landed[k]!, job: job as Job<Data, Result> });
      notAdded.push(...s.reason.notAdded.map((k) => indexes[k]!));
      unknown.push(...s.reason.unknown.map((k) => indexes[k]!));
    } else {
      notAdded.push(...indexes);
    }
  });
  const cause = first instanceof AddBulkError ? (first.cause ?? first) : first;
  throw new AddBulkError(
    jobs.length,
    added.sort((a, b) => a.index - b.index).map((a) => a.job),
    notAdded.sort((a, b) => a - b),
    unknown.sort((a, b) => a - b),
    cause,
  );
}

/**
 * Some partitions were full (each holds its share of maxLength): one QueueFullError for the
 * whole call, with the jobs that were added and the input indexes of those that were not.
 */
function queueFull<Data, Result>(
  first: QueueFullError,
  settled: PromiseSettledResult<Job<Data, Result>[]>[],
  sent: { indexes: number[] }[],
): QueueFullError {
  const added: { index: number; job: Job<Data, Result> }[] = [];
  const notAdded: number[] = [];
  settled.forEach((s, n) => {
    const { indexes } = sent[n]!;
    const jobs = s.status === 'fulfilled' ? s.value : ((s.reason as QueueFullError).added as Job<Data, Result>[]);
    const missing = new Set(s.status === 'fulfilled' ? [] : (s.reason as QueueFullError).notAdded);
    const landed = indexes.filter((_, k) => !missing.has(k));
    for (const [k, job] of jobs.entries()) added.push({ index: landed[k]!, job });
    for (const k of missing) notAdded.push(indexes[k]!);
  });
  const message = /^queue "([^"]+)"/.exec(first.message)?.[1] ?? '';
  return new QueueFullError(
    message,
    first.maxLength,
    undefined,
    added.sort((a, b) => a.index - b.index).map((a) => a.job),
    notAdded.sort((a, b) => a - b),
  );
}

/**
 * What addBulk rejects with when the queue's partitions could not be learnt (nothing was sent):
 * a Redis failure says so per job (every job not added), as addBulk does when not ready.
 */
export function bulkNotSent(err: unknown, total: number, client: Redis): unknown {
  const typed = wrapRedisError(err, client);
  if (!(typed instanceof SluiceError) || !typed.code.startsWith('REDIS_')) return err;
  return new AddBulkError(total, [], [...Array(total).keys()], [], typed);
}
