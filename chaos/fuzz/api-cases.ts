// One API fuzz case of each kind: add() with a fuzzed payload, name and id (the data must then
// round-trip to a worker), add() with fuzzed job options, addBulk(), the Queue/Worker/QueueEvents
// constructors with fuzzed names and options, upsertScheduler(), and the other Queue methods with
// fuzzed arguments. Each case either succeeds or rejects with one of the typed errors listed here.
import {
  InvalidIdError,
  InvalidOptionError,
  InvalidPayloadError,
  JobActiveError,
  JobNotFoundError,
  PartitionsMismatchError,
  PayloadTooLargeError,
  Queue,
  QueueEvents,
  QueueFullError,
  ReplicationTimeoutError,
  Worker,
  type Logger,
} from '../../src/index.js';
import { fuzzAddOptions, fuzzQueueEventsOptions, fuzzQueueOptions, fuzzRepeat, fuzzTemplate, fuzzWorkerOptions } from './options.js';
import type { Rng } from './prng.js';
import { shown } from '../../src/validate.js';
import { type ErrorClass, expectedJson, judgeError, sleep, type Tally } from './tally.js';
import { fuzzJobId, fuzzName, fuzzPayload, weirdNumber, weirdValue } from './values.js';

/** What a bad argument may be refused with: nothing was written. */
export const INPUT_ERRORS: readonly ErrorClass[] = [InvalidOptionError, InvalidIdError, InvalidPayloadError, PayloadTooLargeError];
/** Also acceptable from calls that reach Redis with valid but odd settings. */
const SETTINGS_ERRORS: readonly ErrorClass[] = [...INPUT_ERRORS, QueueFullError, PartitionsMismatchError, ReplicationTimeoutError];
/** Also acceptable from calls on a job that may not exist or may run. */
const JOB_ERRORS: readonly ErrorClass[] = [...INPUT_ERRORS, JobNotFoundError, JobActiveError];

/** A job the data worker must receive as it was added. */
export interface Expected {
  name: string;
  json: string;
  case: number;
}

export interface ApiWorld {
  url: string;
  prefix: string;
  logger: Logger;
  /** Queue with a worker: every job added must reach it with its data, name and id intact. */
  data: Queue;
  /** Queue without a worker: jobs with fuzzed options stay there, to be counted. */
  opts: Queue;
  /** Queue for the other methods (reads, admin calls). */
  misc: Queue;
  /** Queue with schedulers and a worker that runs them. */
  sched: Queue;
  payloadLimit: number;
  /** id -> what the data worker must see; ids added twice keep the first add's. */
  expected: Map<string, Expected>;
  /** Ids of jobs with fuzzed options, all of them kept in `opts`. */
  optsIds: Set<string>;
  /** Errors reported by objects the cases built (checked: typed). */
  onError(where: string, err: unknown): void;
}

export type CaseKind = 'add-data' | 'add-opts' | 'add-bulk' | 'constructor' | 'scheduler' | 'method';
const KINDS: CaseKind[] = ['add-data', 'add-data', 'add-data', 'add-data', 'add-opts', 'add-opts', 'add-bulk', 'constructor', 'scheduler'];

/** The kind of case `rng` draws next (methods a fifth of the time). */
export function caseKind(rng: Rng): CaseKind {
  return rng.chance(0.2) ? 'method' : rng.pick(KINDS);
}

/** Runs one case; resolves with its outcome label (problems go to the tally). Never rejects. */
export async function runCase(world: ApiWorld, tally: Tally, n: number, kind: CaseKind, rng: Rng): Promise<string> {
  const place = { where: `case #${n} (${kind})` };
  try {
    switch (kind) {
      case 'add-data':
        return await addData(world, tally, place.where, n, rng);
      case 'add-opts':
        return await addOpts(world, rng);
      case 'add-bulk':
        return await addBulk(world, tally, place.where, n, rng);
      case 'constructor':
        return await construct(world, n, rng);
      case 'scheduler':
        return await scheduler(world, rng);
      case 'method':
        return await method(world, rng, place);
    }
  } catch (err) {
    const acceptable = kind === 'method' ? JOB_ERRORS : kind === 'constructor' ? SETTINGS_ERRORS : INPUT_ERRORS;
    return judgeError(tally, place.where, err, acceptable);
  }
}

/** Records what a worker must receive for a job just added; a second add of an id keeps the first. */
function expect(world: ApiWorld, tally: Tally, where: string, id: string, name: string, data: unknown, n: number): void {
  if (world.expected.has(id)) return;
  const json = expectedJson(data);
  if (json === undefined) {
    tally.problem(where, `add() accepted data that JSON cannot carry (job ${JSON.stringify(id)})`);
    return;
  }
  world.expected.set(id, { name, json, case: n });
}

async function addData(world: ApiWorld, tally: Tally, where: string, n: number, rng: Rng): Promise<string> {
  const name = rng.chance(0.75) ? 'p' : fuzzName(rng, 256);
  const data = fuzzPayload(rng, world.payloadLimit);
  const jobId = rng.chance(0.4) ? fuzzJobId(rng, n) : undefined;
  const job = await world.data.add(name as string, data, jobId === undefined ? undefined : { jobId: jobId as string });
  if (jobId !== undefined && job.id !== jobId)
    tally.problem(where, `add() returned id ${JSON.stringify(job.id)} for jobId ${JSON.stringify(jobId)}`);
  expect(world, tally, where, job.id, name as string, data, n);
  return 'ok';
}

async function addOpts(world: ApiWorld, rng: Rng): Promise<string> {
  const job = await world.opts.add('o', { o: rng.int(0, 1e6) }, fuzzAddOptions(rng) as never);
  world.optsIds.add(job.id);
  return 'ok';
}

async function addBulk(world: ApiWorld, tally: Tally, where: string, n: number, rng: Rng): Promise<string> {
  if (rng.chance(0.05)) {
    await world.data.addBulk(weirdValue(rng) as never);
    return 'ok';
  }
  const entries: { name: string; data: unknown; opts?: { jobId: string } }[] = [];
  const size = rng.pick([0, 1, 2, 5, 20]);
  for (let i = 0; i < size; i++) {
    const entry = rng.chance(0.04) ? weirdValue(rng) : undefined;
    if (entry !== undefined) {
      entries.push(entry as never);
      continue;
    }
    const data = rng.chance(0.5) ? { bulk: n, i } : fuzzPayload(rng, world.payloadLimit);
    const opts = rng.chance(0.3) ? { jobId: fuzzJobId(rng, n * 100 + i) as string } : undefined;
    entries.push({ name: rng.chance(0.9) ? 'b' : (fuzzName(rng, 256) as string), data, ...(opts ? { opts } : {}) });
  }
  const jobs = await world.data.addBulk(entries as never);
  if (jobs.length !== entries.length) tally.problem(where, `addBulk of ${entries.length} returned ${jobs.length} jobs`);
  jobs.forEach((job, i) => {
    const e = entries[i]!;
    if (e.opts?.jobId !== undefined && job.id !== e.opts.jobId)
      tally.problem(where, `addBulk returned id ${JSON.stringify(job.id)} for entry ${shown(e)}`);
    expect(world, tally, where, job.id, e.name, e.data, n);
  });
  return 'ok';
}

/** A Queue, Worker or QueueEvents built with fuzzed name and options; one that builds is used briefly and closed. */
async function construct(world: ApiWorld, n: number, rng: Rng): Promise<string> {
  const name = (rng.chance(0.7) ? `fzc-${n}` : fuzzName(rng, 100)) as string;
  const what = rng.pick(['Queue', 'Queue', 'Worker', 'QueueEvents'] as const);
  const where = `case #${n} (new ${what})`;
  if (what === 'Queue') {
    const opts = fuzzQueueOptions(rng, world.url);
    const q = new Queue(name, { logger: world.logger, ...opts } as never);
    try {
      await q.add('c', { n }, rng.chance(0.5) ? (fuzzAddOptions(rng) as never) : undefined);
      await q.getJobCounts();
    } finally {
      await q.close();
    }
    return 'ok';
  }
  if (what === 'Worker') {
    const opts = fuzzWorkerOptions(rng, world.url);
    const w = new Worker(name, async () => null, { logger: world.logger, ...opts } as never);
    w.on('error', (err) => world.onError(where, err));
    try {
      await sleep(rng.int(0, 30));
    } finally {
      await w.close({ timeoutMs: 0 });
    }
    return 'ok';
  }
  const events = new QueueEvents(name, { logger: world.logger, ...fuzzQueueEventsOptions(rng, world.url) } as never);
  events.on('error', (err) => world.onError(where, err));
  try {
    await sleep(rng.int(0, 30));
  } finally {
    await events.close();
  }
  return 'ok';
}

async function scheduler(world: ApiWorld, rng: Rng): Promise<string> {
  const key = (rng.chance(0.6) ? `s-${rng.int(0, 30)}` : fuzzName(rng, 100)) as string;
  const r = rng.int(0, 9);
  if (r < 7) await world.sched.upsertScheduler(key, fuzzRepeat(rng) as never, fuzzTemplate(rng, world.payloadLimit) as never);
  else if (r < 8) await world.sched.removeScheduler(key);
  else if (r < 9) await world.sched.getScheduler(key);
  else await world.sched.getSchedulers();
  return 'ok';
}

const STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'paused', 'prioritized', 'WAITING', '', 'unknown'];

/** Any other Queue method, with fuzzed arguments (on the misc queue: its jobs are not counted). */
async function method(world: ApiWorld, rng: Rng, place: { where: string }): Promise<string> {
  const q = world.misc;
  const id = () => (rng.chance(0.5) ? `m-${rng.int(0, 5)}` : fuzzJobId(rng, rng.int(0, 99))) as string;
  const group = () => (rng.chance(0.5) ? undefined : { group: fuzzName(rng, 64) as string });
  const num = () => (rng.chance(0.6) ? rng.int(-2, 200) : weirdNumber(rng));
  const arg = () => (rng.chance(0.3) ? weirdValue(rng) : undefined);
  const calls: Record<string, () => Promise<unknown>> = {
    getJob: () => q.getJob(id(), group()),
    getJobs: () => q.getJobs(rng.pick(STATES) as never, num(), num()),
    getJobIds: () => q.getJobIds(rng.pick(STATES) as never, num(), num()),
    getJobsPage: () =>
      q.getJobsPage(rng.pick(STATES) as never, { count: num(), cursor: rng.pick([null, '0', 'x', '{']) as never, ...group() }),
    getJobCounts: () => q.getJobCounts((arg() ?? group()) as never),
    remove: () => q.remove(id(), group()),
    promoteJobs: () => q.promoteJobs((arg() ?? { count: num(), ...group() }) as never),
    retryJobs: () => q.retryJobs((arg() ?? { state: rng.pick(STATES), count: num(), ...group() }) as never),
    clean: () => q.clean(num(), num(), rng.pick(STATES) as never),
    explain: () => q.explain(id(), (arg() ?? { ...group(), workerIdleMs: num() }) as never),
    getMetrics: () =>
      q.getMetrics(rng.pick(['completed', 'failed', 'nope']) as never, (arg() ?? { start: num(), end: num(), ...group() }) as never),
    setRateLimit: () => q.setRateLimit(rng.chance(0.3) ? null : ((arg() ?? { max: num(), duration: num() }) as never), group()),
    getRateLimit: () => q.getRateLimit(group()),
    createGroup: () =>
      q.createGroup(fuzzName(rng, 64) as string, (arg() ?? { from: rng.pick<unknown>(['now', 'start', 5, -1, 'x']) }) as never),
    pause: () => q.pause(group()),
    resume: () => q.resume(group()),
    isPaused: () => q.isPaused(group()),
    drain: () => q.drain(rng.chance(0.5), group()),
    getDeduplicationJobId: () => q.getDeduplicationJobId(id()),
    getWorkers: () => q.getWorkers((arg() ?? group()) as never),
    getGroups: () => q.getGroups(),
    add: () => q.add(`m`, { m: 1 }, { jobId: `m-${rng.int(0, 5)}` }),
  };
  const call = rng.pick(Object.keys(calls));
  place.where += ` ${call}`;
  await calls[call]!();
  return 'ok';
}
