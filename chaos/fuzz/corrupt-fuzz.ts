// The corruption fuzz: two workers and a QueueEvents run a steady stream of normal jobs while
// random corruption (corrupt.ts) is planted into the queue's Redis. Then the checks: every normal
// job completed with its own result and no failed attempt; every corrupted job ended dead-lettered
// with a reason, ran, or was left alone, and none is stuck active; no worker or QueueEvents
// reported an untyped error or stopped. The outcomes are counted per kind of corruption.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Queue, QueueEvents, QueueFullError, SluiceError, Worker } from '../../src/index.js';
import { type Plant, plant, type PlantContext } from './corrupt.js';
import { Rng } from './prng.js';
import { sleep, Tally } from './tally.js';

export interface CorruptFuzzOptions {
  url: string;
  prefix: string;
  seed: number;
  /** Corruptions planted. */
  cases: number;
  /** Normal jobs added alongside, every one of which must complete unaffected. */
  normalJobs: number;
  /** Over how long the corruptions and normal jobs are spread (ms). */
  spreadMs: number;
  /** How long the queue may take to settle afterwards (default 20,000 ms). */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface CorruptFuzzResult {
  tally: Tally;
  /** Outcome counts per kind of corruption ("garbled-job: dead-lettered" -> n). */
  byKind: Map<string, number>;
  normalCompleted: number;
  elapsedMs: number;
}

const QUEUE = 'fz-corrupt';

export async function runCorruptionFuzz(o: CorruptFuzzOptions): Promise<CorruptFuzzResult> {
  const started = Date.now();
  const tally = new Tally(o.seed);
  const byKind = new Map<string, number>();
  const logger = pino({ level: 'silent' });
  const common = { connection: o.url, prefix: o.prefix, logger };
  const queue = new Queue(QUEUE, { ...common, defaultJobOptions: { removeOnComplete: false, removeOnFail: false } });
  const redis = new Redis(o.url);
  const typedOnly = (where: string) => (err: unknown) => {
    if (process.env.FUZZ_STACK) console.error(where, err instanceof Error ? err.message : err);
    if (err instanceof SluiceError) tally.count(`${where} error event ${err.constructor.name}`);
    else tally.problem(where, `untyped error event ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
  };
  const normalDone = new Set<number>();
  const workers = [0, 1].map((i) => {
    const w = new Worker(QUEUE, async (job) => (job.name === 'normal' ? { n: (job.data as { n: number }).n } : 'ran'), {
      ...common,
      concurrency: 4,
      leaseMs: 2000,
      maxStalls: 1,
      blockMs: 500,
    });
    w.on('error', typedOnly(`worker ${i}`));
    // from the events, not Redis at the end: a planted record with the default retention
    // trims the completed set (by its own policy), taking older normal jobs' records with it
    w.on('completed', (job, result) => {
      if (job.name !== 'normal') return;
      const n = (job.data as { n: number }).n;
      if ((result as { n?: number })?.n !== n || job.attemptsMade !== 0) {
        tally.problem(`normal job n-${n}`, `affected: result ${JSON.stringify(result)}, attemptsMade ${job.attemptsMade}`);
      }
      normalDone.add(n);
    });
    w.on('failed', (job, err) => {
      tally.count(`failed event ${err.constructor.name}`);
      if (job?.name === 'normal') tally.problem(`worker ${i}`, `normal job ${job.id} failed: ${err.message}`);
    });
    return w;
  });
  const events = new QueueEvents(QUEUE, common);
  events.on('error', typedOnly('queue events'));
  const unhandled = (err: unknown) => tally.problem('process', `unhandled rejection: ${String(err)}`);
  process.on('unhandledRejection', unhandled);
  try {
    await Promise.all([...workers.map((w) => w.waitUntilReady()), events.waitUntilReady()]);
    const ctx: PlantContext = { redis, queue, group: 'default' };
    const [plants] = await Promise.all([plantAll(ctx, tally, o), produce(queue, tally, o)]);
    o.log?.(
      `corruption fuzz: ${plants.length} planted in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for the queue to settle`,
    );
    await settle(queue, redis, plants, normalDone, o);
    const normalCompleted = normalDone.size;
    for (const p of plants) {
      const label = await classify(queue, redis, tally, p);
      tally.count(label);
      byKind.set(`${p.kind}: ${label}`, (byKind.get(`${p.kind}: ${label}`) ?? 0) + 1);
    }
    for (let n = 0; n < o.normalJobs; n++) {
      if (!normalDone.has(n)) tally.problem(`normal job n-${n}`, `never completed; ${await whereIs(queue, redis, `n-${n}`)}`);
    }
    // the queue still works end to end, QueueEvents included
    const after = await queue.add('normal', { n: -1 });
    const result = await after.waitUntilFinished(events, 10_000).catch((err: unknown) => err);
    if ((result as { n?: number })?.n !== -1)
      tally.problem('after the run', `a normal job did not finish through QueueEvents: ${String(result)}`);
    workers.forEach((w, i) => {
      if (w.health().state !== 'running') tally.problem(`worker ${i}`, `stopped: state ${w.health().state}`);
    });
    return { tally, byKind, normalCompleted, elapsedMs: Date.now() - started };
  } finally {
    process.off('unhandledRejection', unhandled);
    await Promise.allSettled([...workers.map((w) => w.close({ timeoutMs: 1000 })), events.close()]);
    await queue.close();
    redis.disconnect();
  }
}

/** Plants the cases spread over the run; settings garbled for a moment are put back 50-300 ms later. */
async function plantAll(ctx: PlantContext, tally: Tally, o: CorruptFuzzOptions): Promise<Plant[]> {
  const root = new Rng(o.seed);
  const plants: Plant[] = [];
  const restores: Promise<unknown>[] = [];
  const gap = o.spreadMs / Math.max(1, o.cases);
  for (let n = 0; n < o.cases; n++) {
    const rng = root.fork(n);
    try {
      const p = await plant(ctx, rng, n);
      plants.push(p);
      tally.cases++;
      const restore = p.restore;
      if (restore) restores.push(sleep(rng.int(50, 300)).then(restore));
    } catch (err) {
      // a plant that adds a job may meet a setting garbled by another plant: a typed refusal is fine
      if (err instanceof SluiceError) tally.count(`plant refused ${err.constructor.name}`);
      else tally.problem(`case #${n}`, `planting failed: ${String(err)}`);
    }
    await sleep(gap);
  }
  await Promise.all(restores);
  return plants;
}

/** Adds the normal jobs in batches over the run: plain, delayed, prioritised and ordered ones. */
async function produce(queue: Queue, tally: Tally, o: CorruptFuzzOptions): Promise<void> {
  const batch = 10;
  const gap = o.spreadMs / Math.max(1, o.normalJobs / batch);
  for (let i = 0; i < o.normalJobs; i += batch) {
    const jobs = [];
    for (let n = i; n < Math.min(o.normalJobs, i + batch); n++) {
      const opts =
        n % 5 === 1 ? { orderingKey: `k-${n % 7}` } : n % 10 === 2 ? { delay: n % 200 } : n % 10 === 3 ? { priority: 1 + (n % 9) } : {};
      jobs.push({ name: 'normal', data: { n }, opts: { jobId: `n-${n}`, ...opts } });
    }
    for (;;) {
      try {
        await queue.addBulk(jobs);
        break;
      } catch (err) {
        // a garbled maxLength may read as a small number for a moment: the add is refused, typed
        if (!(err instanceof QueueFullError)) {
          tally.problem('producer', `addBulk failed: ${String(err)}`);
          break;
        }
        tally.count('normal add refused QueueFullError');
        await sleep(50);
      }
    }
    await sleep(gap);
  }
}

/** Waits until every normal job completed and no planted job is still active or waiting to run. */
async function settle(queue: Queue, redis: Redis, plants: Plant[], normalDone: Set<number>, o: CorruptFuzzOptions): Promise<void> {
  const deadline = Date.now() + (o.settleMs ?? 20_000);
  const ids = plants.flatMap((p) => (p.jobId ? [p.jobId] : []));
  const g = queue.keys.group('default');
  let normalsDoneAt: number | undefined;
  for (;;) {
    const pipe = redis.pipeline();
    for (const id of ids) pipe.zmscore(g.completed, id).zscore(g.failed, id).zscore(g.active, id);
    const replies = ((await pipe.exec()) ?? []).map(([, r]) => r);
    const finished = (i: number) => (replies[3 * i] as (string | null)[])[0] !== null || replies[3 * i + 1] !== null;
    const plantsDone = ids.every((_, i) => finished(i));
    const plantsActive = ids.some((_, i) => replies[3 * i + 2] !== null);
    if (normalDone.size === o.normalJobs && !plantsActive) normalsDoneAt ??= Date.now();
    else normalsDoneAt = undefined;
    // planted jobs left as they are never finish: wait a little for the others, then classify
    if ((normalsDoneAt !== undefined && (plantsDone || Date.now() - normalsDoneAt > 3000)) || Date.now() > deadline) return;
    await sleep(200);
  }
}

/** The outcome of one plant; a job stuck active, or dead-lettered without a reason, is a problem. */
async function classify(queue: Queue, redis: Redis, tally: Tally, p: Plant): Promise<string> {
  const g = queue.keys.group('default');
  const where = `case #${p.n} (${p.kind})`;
  if (p.jobId) {
    const id = p.jobId;
    const key = queue.keys.job(id);
    if ((await redis.zscore(g.failed, id)) !== null) {
      if ((await redis.type(key)) === 'hash' && !(await redis.hget(key, 'fr')))
        tally.problem(where, `job ${id} dead-lettered without a reason`);
      return 'dead-lettered';
    }
    if ((await redis.zscore(g.completed, id)) !== null) return 'ran';
    if ((await redis.zscore(g.active, id)) !== null) {
      tally.problem(where, `job ${id} is stuck active`);
      return 'stuck';
    }
    for (const set of [queue.keys.delayed, g.retry, g.prio]) {
      if ((await redis.zscore(set, id)) !== null) return 'left waiting (its due time or record garbled)';
    }
    return (await redis.exists(key)) ? 'left as is (record no longer runnable)' : 'dropped';
  }
  if (p.entryId) {
    if ((await redis.zscore(g.failed, `malformed-${p.entryId}`)) !== null) return 'dead-lettered';
    if ((await redis.zscore(g.failed, p.entryId)) !== null) return 'dead-lettered';
    if ((await redis.zscore(g.completed, p.entryId)) !== null) return 'ran';
    return 'skipped';
  }
  if (p.member) {
    const { key, type, value } = p.member;
    const there = type === 'zset' ? (await redis.zscore(key, value)) !== null : (await redis.lpos(key, value)) !== null;
    return there ? 'left in place' : 'dropped';
  }
  return 'survived';
}

/** Where a job that never completed is: its explain() reason and record, for replaying the case. */
async function whereIs(queue: Queue, redis: Redis, id: string): Promise<string> {
  const explained = await queue.explain(id).then(
    (e) => JSON.stringify(e),
    (err: unknown) => `explain failed: ${String(err)}`,
  );
  const record = await redis.hgetall(queue.keys.job(id)).catch((err: unknown) => String(err));
  return `explain ${explained}; record ${JSON.stringify(record).slice(0, 600)}`;
}
