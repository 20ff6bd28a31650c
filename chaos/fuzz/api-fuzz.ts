// The API fuzz: N random calls (api-cases.ts) against queues of one private redis-server, a few
// at a time, each within a timeout. Then the checks: every job added reached the data worker
// with its name, id and data as a JSON round trip gives them; the queues' counts match what was
// added; no worker reported an untyped error or stopped; and a normal job still runs end to end.
import { pino } from 'pino';
import { Queue, SluiceError, Worker } from '../../src/index.js';
import { type ApiWorld, caseKind, runCase } from './api-cases.js';
import { Rng } from './prng.js';
import { CaseTimeout, sleep, Tally, withTimeout } from './tally.js';

export interface ApiFuzzOptions {
  url: string;
  /** Key prefix of every queue the run makes (a fresh one per run). */
  prefix: string;
  seed: number;
  cases: number;
  /** Cases in flight at once (default 8). */
  parallel?: number;
  /** A case that has not settled by then is a hang (default 5,000 ms). */
  caseTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ApiFuzzResult {
  tally: Tally;
  /** Jobs whose data was checked at the worker. */
  roundTrips: number;
  elapsedMs: number;
}

const PAYLOAD_LIMIT = 16 * 1024;

interface Seen {
  name: string;
  json: string;
}

export async function runApiFuzz(o: ApiFuzzOptions): Promise<ApiFuzzResult> {
  const started = Date.now();
  const tally = new Tally(o.seed);
  const logger = pino({ level: 'silent' });
  const common = { connection: o.url, prefix: o.prefix, logger };
  const world: ApiWorld = {
    url: o.url,
    prefix: o.prefix,
    logger,
    data: new Queue('fz-data', { ...common, maxPayloadBytes: PAYLOAD_LIMIT, defaultJobOptions: { removeOnComplete: false } }),
    opts: new Queue('fz-opts', common),
    misc: new Queue('fz-misc', common),
    sched: new Queue('fz-sched', { ...common, maxPayloadBytes: PAYLOAD_LIMIT }),
    payloadLimit: PAYLOAD_LIMIT,
    expected: new Map(),
    optsIds: new Set(),
    onError(where, err) {
      if (err instanceof SluiceError) tally.count(`error event ${err.constructor.name}`);
      else tally.problem(where, `untyped error event ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
    },
  };
  const seen = new Map<string, Seen>();
  const dataWorker = new Worker(
    'fz-data',
    async (job) => {
      seen.set(job.id, { name: job.name, json: JSON.stringify(job.data) });
      return null;
    },
    { ...common, concurrency: 8, maxPayloadBytes: PAYLOAD_LIMIT, blockMs: 1000 },
  );
  dataWorker.on('error', (err) => world.onError('data worker', err));
  dataWorker.on('failed', (job, err) => tally.problem('data worker', `job ${JSON.stringify(job?.id)} failed: ${err.message}`));
  const schedWorker = new Worker('fz-sched', async () => null, { ...common, blockMs: 1000 });
  schedWorker.on('error', (err) => world.onError('scheduler worker', err));
  const unhandled = (err: unknown) => tally.problem('process', `unhandled rejection: ${String(err)}`);
  process.on('unhandledRejection', unhandled);
  try {
    await Promise.all([dataWorker.waitUntilReady(), schedWorker.waitUntilReady()]);
    for (let i = 0; i < 6; i++) await world.misc.add('m', { i }, { jobId: `m-${i}` });
    await runCases(world, tally, o);
    o.log?.(`api fuzz: ${tally.cases} cases run in ${((Date.now() - started) / 1000).toFixed(1)} s; checking the round trips`);
    const roundTrips = await checkRoundTrips(world, tally, seen);
    await checkCounts(world, tally);
    await checkStillWorks(world, tally, seen);
    for (const [name, w] of [
      ['data worker', dataWorker],
      ['scheduler worker', schedWorker],
    ] as const) {
      if (w.health().state !== 'running') tally.problem(name, `stopped: state ${w.health().state}`);
    }
    return { tally, roundTrips, elapsedMs: Date.now() - started };
  } finally {
    process.off('unhandledRejection', unhandled);
    await Promise.allSettled([dataWorker.close({ timeoutMs: 1000 }), schedWorker.close({ timeoutMs: 1000 })]);
    await Promise.allSettled([world.data.close(), world.opts.close(), world.misc.close(), world.sched.close()]);
  }
}

async function runCases(world: ApiWorld, tally: Tally, o: ApiFuzzOptions): Promise<void> {
  const root = new Rng(o.seed);
  const timeoutMs = o.caseTimeoutMs ?? 5000;
  // FUZZ_CASES_ONLY=12,345: replay only those cases of the seed
  const only = process.env.FUZZ_CASES_ONLY?.split(',').map(Number);
  const numbers = only ?? Array.from({ length: o.cases }, (_, i) => i);
  let next = 0;
  const lane = async () => {
    for (;;) {
      const n = numbers[next++];
      if (n === undefined) return;
      const rng = root.fork(n);
      const kind = caseKind(rng);
      tally.cases++;
      try {
        tally.count(await withTimeout(runCase(world, tally, n, kind, rng), timeoutMs));
      } catch (err) {
        if (!(err instanceof CaseTimeout)) throw err;
        tally.count('hang');
        tally.problem(`case #${n} (${kind})`, `hang: ${err.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.parallel ?? 8 }, lane));
}

/** Waits for every accepted job at the data worker; each must arrive with its name and data intact. */
async function checkRoundTrips(world: ApiWorld, tally: Tally, seen: Map<string, Seen>): Promise<number> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && [...world.expected.keys()].some((id) => !seen.has(id))) await sleep(100);
  let checked = 0;
  for (const [id, e] of world.expected) {
    const where = `case #${e.case} (job ${JSON.stringify(id).slice(0, 80)})`;
    const got = seen.get(id);
    if (!got) {
      tally.problem(where, 'the job never reached the worker under its id');
      continue;
    }
    checked++;
    if (got.name !== e.name)
      tally.problem(where, `name ${JSON.stringify(e.name).slice(0, 60)} arrived as ${JSON.stringify(got.name).slice(0, 60)}`);
    if (got.json !== e.json) tally.problem(where, `data ${e.json.slice(0, 60)} arrived as ${got.json.slice(0, 60)}`);
  }
  for (const id of seen.keys()) {
    if (!world.expected.has(id)) tally.problem(`job ${JSON.stringify(id).slice(0, 80)}`, 'ran although no add returned its id');
  }
  return checked;
}

async function checkCounts(world: ApiWorld, tally: Tally): Promise<void> {
  // the worker saw every job; the last acks may still be on their way
  let c = await world.data.getJobCounts();
  for (let i = 0; i < 50 && c.active + c.waiting > 0; i++) {
    await sleep(100);
    c = await world.data.getJobCounts();
  }
  if (c.waiting + c.active + c.delayed + c.failed !== 0 || c.completed !== world.expected.size) {
    tally.problem('data queue', `counts ${JSON.stringify(c)}; expected ${world.expected.size} completed and nothing else`);
  }
  const o = await world.opts.getJobCounts();
  const total = o.waiting + o.active + o.delayed + o.completed + o.failed;
  if (total !== world.optsIds.size) {
    tally.problem('options queue', `counts ${JSON.stringify(o)} add up to ${total}; ${world.optsIds.size} distinct jobs were added`);
  }
}

async function checkStillWorks(world: ApiWorld, tally: Tally, seen: Map<string, Seen>): Promise<void> {
  const job = await world.data.add('after', { after: true });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && !seen.has(job.id)) await sleep(20);
  if (seen.get(job.id)?.json !== '{"after":true}') tally.problem('after the run', 'a normal job did not run end to end');
  else world.expected.set(job.id, { name: 'after', json: '{"after":true}', case: -1 });
}
