// Scenario "maxmemory": the queue's redis-server has a small maxmemory and `noeviction`. A
// producer adds jobs with large payloads until Redis refuses; then one addBulk, then an add every
// few ms until adds are accepted again. Each refused add must fail fast with RedisOutOfMemoryError
// (not a hang, not a raw ReplyError: defect D6), the addBulk must say exactly what it wrote (D5),
// workers must start, keep running and complete on the full Redis (D1, D2), and nothing stored
// may be lost. Variant -remove (removeOnComplete): the workers start once Redis is full, and
// free memory as they complete. Variant -raise (default retention): the workers run from the
// start; completions free little, so the runner raises maxmemory after a while.
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Queue } from '../../src/index.js';
import { startRedis } from '../../src/testing/index.js';
import { finishChecked } from '../lib/adjust.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import { clearHistory, readHistory, type HistoryRecord } from '../lib/history.js';
import type { QueueAddress } from '../lib/child-config.js';
import { sleep, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  maxmemoryMb: number;
  raisedMb: number;
  payloadBytes: number;
  rate: number;
  workers: number;
  concurrency: number;
  refusals: number;
  bulk: number;
  probes: number;
  /** raise: how long the runner keeps Redis full after every stored job completed. */
  holdMs: number;
}

const QUICK: Size = {
  maxmemoryMb: 16,
  raisedMb: 128,
  payloadBytes: 32_000,
  rate: 400,
  workers: 2,
  concurrency: 5,
  refusals: 20,
  bulk: 300,
  probes: 20,
  holdMs: 1_000,
};
const FULL: Size = {
  maxmemoryMb: 64,
  raisedMb: 256,
  payloadBytes: 40_000,
  rate: 600,
  workers: 3,
  concurrency: 5,
  refusals: 50,
  bulk: 600,
  probes: 100,
  holdMs: 5_000,
};

const MS_MIN = 5;
const MS_MAX = 20;
const PROBE_EVERY_MS = 25;
/** A refused add slower than this is no quick refusal. */
const QUICK_REFUSAL_MS = 1_000;

type Mode = 'remove' | 'raise';
type Reject = Extract<HistoryRecord, { k: 'reject' }>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** The producer's phases, read from its records (written in order): paced adds, the addBulk, probes. */
function phases(records: HistoryRecord[], producerPid: number) {
  const own = records.filter(
    (r): r is Extract<HistoryRecord, { k: 'add' | 'reject' }> => (r.k === 'add' || r.k === 'reject') && r.pid === producerPid,
  );
  const firstBulk = own.findIndex((r) => r.bulk !== undefined);
  const afterBulk = firstBulk < 0 ? -1 : own.findIndex((r, i) => i > firstBulk && r.bulk === undefined);
  const paced = own.slice(0, firstBulk < 0 ? own.length : firstBulk);
  const bulk = firstBulk < 0 ? [] : own.slice(firstBulk, afterBulk < 0 ? own.length : afterBulk);
  const probes = afterBulk < 0 ? [] : own.slice(afterBulk);
  const refused = own.filter((r): r is Reject => r.k === 'reject' && r.bulk === undefined);
  return { paced, bulk, probes, refused, firstRefusal: refused[0]?.t };
}

/** Resolves once `test` holds, polled every 100 ms; rejects after `timeoutMs`. */
async function until(what: string, test: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`maxmemory: ${what} did not happen within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`maxmemory: ${what} took over ${ms} ms`)))]);
}

async function memory(client: Redis): Promise<string> {
  const info = await client.info('memory');
  const field = (name: string) => /^(\w+):(.*)$/m.exec(info.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2]?.trim();
  return `${field('used_memory_human')} (peak ${field('used_memory_peak_human')})`;
}

async function variant(ctx: ScenarioContext, mode: Mode): Promise<ScenarioOutcome> {
  const size = ctx.quick ? QUICK : FULL;
  const retention = mode === 'remove' ? 'removeOnComplete: true' : 'removeOnComplete: false (default retention)';
  const freed =
    mode === 'remove'
      ? 'the workers start once Redis is full (after the addBulk) and free memory as they complete jobs'
      : `the workers run from the start; once every stored job completed, Redis is kept full ${size.holdMs} ms more, ` +
        `then maxmemory is raised to ${size.raisedMb} MB`;
  // -raise: workers slower than the adds, so that a backlog fills Redis and completes on it (D2)
  const concurrency = mode === 'raise' ? 1 : size.concurrency;
  const params =
    `maxmemory ${size.maxmemoryMb} MB, noeviction; jobs of ${size.payloadBytes / 1000} KB (${MS_MIN}–${MS_MAX} ms), ${retention}, ` +
    `added at ${size.rate}/s until ${size.refusals} adds are refused, then one addBulk of ${size.bulk}, then one add every ` +
    `${PROBE_EVERY_MS} ms until ${size.probes} in a row are accepted; ` +
    `${size.workers} worker processes × concurrency ${concurrency}, ` +
    `leaseMs 5000; ${freed}`;
  ctx.log(`maxmemory-${mode}: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const redis = await startRedis({ url: null, args: ['--maxmemory', `${size.maxmemoryMb}mb`, '--maxmemory-policy', 'noeviction'] });
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: `oom-${mode}`, recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency, leaseMs: 5_000, ignoreAbort: false });
  const queue = new Queue(address.queue, { connection: redis.url, prefix: address.prefix, logger: pino({ level: 'silent' }) });
  const failures: string[] = [];
  const notes: string[] = [];
  try {
    const t0 = Date.now();
    const startWorkers = () => Promise.all(Array.from({ length: size.workers }, () => fleet.start()));
    if (mode === 'raise') await startWorkers();
    const producer = startProducer({
      ...address,
      count: 1_000_000,
      firstSeq: 0,
      rate: size.rate,
      msMin: MS_MIN,
      msMax: MS_MAX,
      payloadBytes: size.payloadBytes,
      removeOnComplete: mode === 'remove',
      untilRefused: { refusals: size.refusals, bulk: size.bulk, probeEveryMs: PROBE_EVERY_MS, probes: size.probes },
    });
    let raisedAt: number | undefined;
    let storedDoneAt: number | undefined;
    let workersAt: number | undefined;
    let completedWhileFull = 0;
    let acceptedBeforeRaise = 0;
    // the producer probes (its addBulk is recorded): Redis is full
    const inProbes = async () => phases(await readHistory(ctx.recorderUrl), producer.pid).bulk.length === size.bulk;
    await until('the producer reaching a full Redis', inProbes, 60_000);
    if (mode === 'remove') {
      await startWorkers();
      workersAt = Date.now();
    } else {
      // every stored job must complete on the full Redis
      await until(
        'every stored job completing on the full Redis',
        async () => {
          const c = await queue.getJobCounts();
          return c.waiting + c.active + c.delayed === 0;
        },
        30_000,
      ).catch((err: Error) => failures.push(err.message));
      storedDoneAt = Date.now();
      await sleep(size.holdMs);
      const seen = phases(await readHistory(ctx.recorderUrl), producer.pid);
      acceptedBeforeRaise = seen.probes.filter((r) => r.k === 'add').length;
      if (acceptedBeforeRaise >= size.probes) failures.push('adds were accepted again before maxmemory was raised');
      completedWhileFull = (await readHistory(ctx.recorderUrl)).filter((r) => r.k === 'done' && r.t >= (seen.firstRefusal ?? 0)).length;
      notes.push(`memory when raised: ${await memory(admin)}`);
      await admin.config('SET', 'maxmemory', `${size.raisedMb}mb`);
      raisedAt = Date.now();
    }
    const { added, rejected } = await withTimeout(producer.done, 60_000, 'adds being accepted again');
    ctx.log(`maxmemory-${mode}: ${added} adds acknowledged, ${rejected} refused; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, 10_000);
    const counts = await queue.getJobCounts();
    const stored = counts.completed + counts.failed + counts.waiting + counts.active + counts.delayed;
    const memEnd = await memory(admin);
    const seen = phases(await readHistory(ctx.recorderUrl), producer.pid);
    const oomStart = seen.firstRefusal ?? t0;
    const firstAcceptedAfter = (at: number) => seen.probes.find((r) => r.k === 'add' && r.t >= at)?.t;
    const oomEnd = raisedAt ?? firstAcceptedAfter(workersAt ?? t0) ?? drainedAt;
    await ctx.history.write({ k: 'fault', what: 'oom', pid: 0, t: oomStart, until: oomEnd, note: `maxmemory ${size.maxmemoryMb} MB` });
    const run = await finishChecked(fleet, address, { removedOnComplete: mode === 'remove' });
    const c = run.check;
    failures.push(...verdict(c));

    // refused adds: the class, and how long each took (a paced one may queue behind up to 7 adds in flight)
    const classes = new Set(seen.refused.map((r) => r.cls ?? '?'));
    if ([...classes].some((k) => k !== 'RedisOutOfMemoryError')) failures.push(`refused adds threw ${[...classes].join(', ')}`);
    const took = (rs: HistoryRecord[]) => rs.flatMap((r) => (r.k === 'reject' ? [r.ms ?? 0] : [])).sort((a, b) => a - b);
    const paced = took(seen.paced);
    const alone = took(seen.probes);
    if ((alone.at(-1) ?? 0) > QUICK_REFUSAL_MS) failures.push(`a refused add took ${alone.at(-1)} ms`);
    notes.push(
      `Redis full ${oomStart - t0} ms after the start (${seen.paced.filter((r) => r.k === 'add').length} paced adds fitted); ` +
        `${seen.refused.length} adds refused, all with ${[...classes].join(', ')}; a refused add took ` +
        `${percentile(alone, 0.5)} ms p50, ${alone.at(-1) ?? 0} ms max one at a time (${alone.length}), ` +
        `${percentile(paced, 0.5)} ms p50, ${paced.at(-1) ?? 0} ms max among the paced adds in flight (${paced.length})`,
    );
    // the addBulk: what it says it wrote is what is stored (a job it called not added never runs)
    const bulkAdded = seen.bulk.filter((r) => r.k === 'add').length;
    const bulkClass = seen.bulk.find((r): r is Reject => r.k === 'reject')?.cls ?? 'none';
    notes.push(`addBulk of ${size.bulk} on the full Redis: ${bulkAdded} added, ${size.bulk - bulkAdded} refused (${bulkClass})`);
    if (bulkAdded === size.bulk) failures.push('the addBulk on a full Redis was accepted whole');
    if (bulkAdded < size.bulk && !/^(AddBulkError<RedisOutOfMemoryError>|RedisOutOfMemoryError)$/.test(bulkClass)) {
      failures.push(`the refused addBulk threw ${bulkClass}`);
    }
    if (c.unackedJobsRun > 0) failures.push(`${c.unackedJobsRun} jobs ran whose add was refused (D5: written although refused)`);
    if (mode === 'raise' && stored !== c.acked) failures.push(`Redis holds ${stored} jobs, ${c.acked} adds were acknowledged`);
    // nothing re-ran: an ack or renewal refused on the full Redis would let a lease run out (D2)
    const dups = c.duplicatesExplained + c.duplicatesUnexplained;
    if (dups > 0) failures.push(`${dups} duplicate starts (no process was faulted: none may happen)`);
    if (mode === 'raise') {
      notes.push(
        `stored jobs completed on the full Redis: ${completedWhileFull}, all done ${storedDoneAt! - oomStart} ms after it filled; ` +
          `adds accepted again ${(firstAcceptedAfter(raisedAt!) ?? Number.NaN) - raisedAt!} ms after maxmemory was raised ` +
          `(${raisedAt! - oomStart} ms after Redis filled); ${acceptedBeforeRaise} single adds were accepted on the full Redis ` +
          'before the raise (completions free a little memory)',
      );
      if (completedWhileFull === 0) failures.push('no job completed while Redis was full (D2)');
    } else {
      notes.push(
        `workers started on the full Redis ${workersAt! - oomStart} ms after it filled; adds accepted again ` +
          `${oomEnd - workersAt!} ms after they started (they remove completed jobs)`,
      );
      const early = seen.probes.filter((r) => r.k === 'add' && r.t < workersAt!).length;
      // the refused addBulk's arguments counted as used memory (client query buffer) until it was refused
      if (early > 0)
        notes.push(`${early} single adds were accepted before the workers started (room the refused addBulk's arguments held)`);
    }
    notes.push(
      `drained ${drainedAt - oomEnd} ms after adds were accepted again; ${run.removed} jobs removed on completion; ` +
        `memory at the end ${memEnd}; worker error events ${c.workerErrors}`,
    );
    const errors = new Set(run.records.flatMap((r) => (r.k === 'error' ? [r.err.slice(0, 160)] : [])));
    if (errors.size > 0) notes.push(`worker errors: ${[...errors].slice(0, 3).join(' | ')}`);
    return {
      id: `maxmemory-${mode}`,
      title: `A full Redis (maxmemory, noeviction), ${mode === 'remove' ? 'freed by removeOnComplete' : 'freed by raising maxmemory'}`,
      params,
      check: c,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - oomEnd,
      notes,
      failures,
    };
  } finally {
    await fleet.closeAll();
    await queue.close().catch(() => undefined);
    admin.disconnect();
    await redis.stop();
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  return [await variant(ctx, 'remove'), await variant(ctx, 'raise')];
}

export const maxmemory: Scenario = { id: 'maxmemory', run };
