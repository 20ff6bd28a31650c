// The producer side of repeating jobs: upsert, remove and read schedulers. Queue delegates
// here; firing them is the workers' part (SchedulerFirer).
import type { Redis } from 'ioredis';
import { redisNow } from '../redis/connection.js';
import { InvalidOptionError } from '../errors.js';
import type { QueueKeys } from '../redis/keys.js';
import { optionsJson, validateJobOptions, type JobsOptions } from '../job/job-options.js';
import { validateJobName } from '../validate.js';
import { toJson } from '../job/payload.js';
import { firstSlot, normaliseRepeat, validateSchedulerKey, type RepeatOptions, type RepeatSpec } from './repeat.js';
import type { Scripts } from '../redis/scripts.js';

/**
 * The job a scheduler adds at each slot (the `template` argument of `Queue.upsertScheduler`).
 * Upserting the same key again replaces the template for the jobs still to come.
 */
export interface SchedulerTemplate<Data> {
  /** The name of each job, as add() takes it. No default: required. */
  name: string;
  /**
   * The data of each job (stored as JSON, at most the queue's `maxPayloadBytes`).
   * @default none: the jobs' data is null.
   */
  data?: Data;
  /**
   * Options of each job made; per-slot ones (jobId, delay, deduplication, ttl, startBy) are
   * refused with `InvalidOptionError`. The queue's `defaultJobOptions` do not apply.
   * @default none: each job takes the default of every option.
   */
  opts?: JobsOptions;
}

/** A repeating-job scheduler, as `Queue.upsertScheduler`, `getScheduler` and `getSchedulers` return it. */
export interface SchedulerInfo<Data = unknown> {
  /** The key it was upserted with. */
  key: string;
  /** When it runs, as stored. */
  repeat: RepeatSpec;
  /** The name of the jobs it adds. */
  name: string;
  /** The data of the jobs it adds. */
  data: Data;
  /** The options of the jobs it adds. */
  opts: JobsOptions;
  /** The next slot (ms since the epoch), or undefined when the schedule is over. */
  next: number | undefined;
  /** Jobs made so far (upsertScheduler's answer always says 0: read getScheduler for the count). */
  count: number;
}

const PER_SLOT = ['jobId', 'delay', 'deduplication', 'ttl', 'startBy'] as const;

export async function upsertScheduler<Data>(
  client: Redis,
  scripts: Scripts,
  key: string,
  repeat: RepeatOptions,
  template: SchedulerTemplate<Data>,
  maxPayloadBytes: number,
): Promise<SchedulerInfo<Data>> {
  validateSchedulerKey(key);
  const spec = normaliseRepeat(repeat);
  if (!template || typeof template !== 'object')
    throw new InvalidOptionError('upsertScheduler needs a job template { name, data?, opts? }');
  validateJobName(template.name);
  const opts = validateJobOptions(template.opts);
  for (const option of PER_SLOT) {
    if (opts[option] !== undefined) throw new InvalidOptionError(`a scheduler's jobs cannot set ${option}: each slot makes its own job`);
  }
  const stored = {
    name: template.name,
    data: toJson(template.data, 'scheduler job data', maxPayloadBytes),
    opts: optionsJson(opts),
    ...(opts.priority ? { priority: opts.priority } : {}),
    ...(opts.lifo ? { lifo: true } : {}),
    ...(opts.orderingKey ? { orderingKey: opts.orderingKey } : {}),
  };
  const now = await redisNow(client);
  const first = firstSlot(spec, now) ?? -1;
  const next = await scripts.upsertScheduler(key, JSON.stringify(spec), JSON.stringify(stored), first);
  return { key, repeat: spec, name: template.name, data: template.data as Data, opts, next, count: 0 };
}

export async function getScheduler<Data>(client: Redis, keys: QueueKeys, key: string): Promise<SchedulerInfo<Data> | undefined> {
  const [record, planned] = await Promise.all([client.hgetall(keys.scheduler(key)), client.zscore(keys.schedulers, key)]);
  if (!record.spec) return undefined;
  try {
    const template = JSON.parse(record.template ?? '{}') as { name: string; data: string; opts: string };
    // the schedulers set holds the planned slot; a scheduler that is over is not in it
    const next = planned === null ? -1 : Number(planned);
    return {
      key,
      repeat: JSON.parse(record.spec) as RepeatSpec,
      name: template.name,
      data: JSON.parse(template.data) as Data,
      opts: JSON.parse(template.opts) as JobsOptions,
      next: next >= 0 ? next : undefined,
      count: Number(record.count ?? 0),
    };
  } catch {
    return undefined; // not written by sluice
  }
}

export async function getSchedulers<Data>(client: Redis, keys: QueueKeys): Promise<SchedulerInfo<Data>[]> {
  const all = await client.zrange(keys.schedulers, '0', '-1');
  const infos = await Promise.all(all.map((key) => getScheduler<Data>(client, keys, key)));
  return infos.filter((i): i is SchedulerInfo<Data> => i !== undefined);
}
