// A chaos producer process (forked by the runner; never run by hand): adds `count` jobs at
// `rate` per second, each with a unique sequence number in its data, and records every add
// Redis acknowledged (with the job id) and every add that was rejected. Jobs keep their final
// state (removeOnComplete: false, unless told) so the checker can read it; with a retention
// (soak) the checker reads removed jobs' ends from the history. Reports its counts over IPC.
// Options: padded payloads, delays, bursts, and adding until a full Redis refuses (then an
// addBulk, then probes until adds are accepted again).
import { pino } from 'pino';
import { Queue, type JobsOptions } from '../src/index.js';
import {
  connectionOf,
  readChildConfig,
  spreadOf,
  type ChaosJobData,
  type ChildMessage,
  type ProducerChildConfig,
} from './lib/child-config.js';
import { HistoryWriter } from './lib/history.js';

const config = readChildConfig<ProducerChildConfig>();
const history = new HistoryWriter(config.recorderUrl);
const pid = process.pid;
const queue = new Queue<ChaosJobData>(config.queue, {
  // a plain URL's connection is named like sluice's own, so the client-faults scenario finds it in CLIENT LIST
  connection: config.cluster || config.sentinel ? connectionOf(config) : { url: config.url, connectionName: `sluice:producer:${pid}` },
  ...spreadOf(config),
  ...(config.durability ? { durability: config.durability } : {}),
  prefix: config.prefix,
  defaultJobOptions: { removeOnComplete: config.removeOnComplete ?? false, removeOnFail: config.removeOnFail ?? false },
  logger: pino({ level: 'silent' }),
});

let added = 0;
let rejected = 0;
const pending = new Set<Promise<void>>();

const pad = config.payloadBytes ? 'x'.repeat(config.payloadBytes) : undefined;

/** The error's class, with its cause's for AddBulkError (AddBulkError<RedisOutOfMemoryError>). */
function errorClass(err: unknown): string {
  if (!(err instanceof Error)) return typeof err;
  const cause = err.name === 'AddBulkError' && err.cause instanceof Error ? `<${err.cause.constructor.name}>` : '';
  return `${err.constructor.name}${cause}`;
}

/** A job's delay: every job within [0, delayMsMax] (clock-skew), or a share of them within [1, delayMaxMs] (soak). */
function jobDelay(): number {
  if (config.delayMsMax) return Math.floor(Math.random() * (config.delayMsMax + 1));
  if (config.delayRate && Math.random() < config.delayRate) return 1 + Math.floor(Math.random() * (config.delayMaxMs ?? 1000));
  return 0;
}

function jobOf(seq: number): { data: ChaosJobData; opts: JobsOptions } {
  const ms = config.msMin + Math.floor(Math.random() * (config.msMax - config.msMin + 1));
  const delay = jobDelay();
  const opts: JobsOptions = {
    ...(config.keys ? { orderingKey: `k${seq % config.keys}` } : {}),
    ...(config.attempts ? { attempts: config.attempts, backoff: { type: 'fixed' as const, delay: config.backoffMs ?? 0 } } : {}),
    ...(delay > 0 ? { delay } : {}),
  };
  return { data: { seq, ms, ...(pad ? { pad } : {}), ...(delay > 0 ? { delay } : {}) }, opts };
}

/** Adds job `seq` and records the outcome; resolves with whether Redis acknowledged it. */
function addOne(seq: number): Promise<boolean> {
  const { data, opts } = jobOf(seq);
  const sentAt = Date.now();
  const p = queue.add('chaos', data, opts).then(
    async (job) => {
      added++;
      // a delayed job is due at its add's Redis time (the job's timestamp) plus its delay
      const due = opts.delay ? { due: job.timestamp + opts.delay } : {};
      await history.write({ k: 'add', id: job.id, seq, pid, t: Date.now(), ...due });
      return true;
    },
    async (err: unknown) => {
      rejected++;
      const ms = Date.now() - sentAt;
      await history.write({ k: 'reject', seq, err: String((err as Error)?.message ?? err), cls: errorClass(err), ms, pid, t: Date.now() });
      return false;
    },
  );
  const settled = p.then(() => undefined);
  pending.add(settled);
  void settled.finally(() => pending.delete(settled));
  return p;
}

/** One addBulk of `n` jobs from `seq` on: each job added is recorded as an add, each other one as a reject. */
async function addBulk(seq: number, n: number): Promise<void> {
  const jobs = Array.from({ length: n }, (_, i) => ({ name: 'chaos', ...jobOf(seq + i) }));
  const sentAt = Date.now();
  let ids: (string | undefined)[];
  let err: unknown;
  try {
    ids = (await queue.addBulk(jobs)).map((j) => j.id);
  } catch (e) {
    err = e;
    ids = Array.from({ length: n }, () => undefined);
    // what landed is in the error (AddBulkError, QueueFullError); `unknown` ones are counted as rejected
    const added = (e as { added?: { id: string; data: ChaosJobData }[] }).added ?? [];
    for (const job of added) ids[job.data.seq - seq] = job.id;
  }
  const ms = Date.now() - sentAt;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (id !== undefined) {
      added++;
      await history.write({ k: 'add', id, seq: seq + i, bulk: n, pid, t: Date.now() });
    } else {
      rejected++;
      const why = String((err as Error)?.message ?? err);
      await history.write({ k: 'reject', seq: seq + i, err: why, cls: errorClass(err), ms, bulk: n, pid, t: Date.now() });
    }
  }
}

const t0 = Date.now();
let next = 0;
const stopAfter = config.untilRefused?.refusals ?? Number.POSITIVE_INFINITY;
// until refused: few adds in flight, so that Redis is full of jobs, not of the adds' query buffers
const maxInFlight = config.untilRefused ? 8 : 500;
while (next < config.count && rejected < stopAfter) {
  // paced: every 10 ms, add what the rate allows by now (never more than maxInFlight adds in
  // flight); in bursts, what it allows by the end of the current burst
  const elapsed = config.burstMs ? (Math.floor((Date.now() - t0) / config.burstMs) + 1) * config.burstMs : Date.now() - t0;
  const due = config.rate > 0 ? Math.min(config.count, Math.floor((elapsed * config.rate) / 1000) + 1) : config.count;
  while (next < due && pending.size < maxInFlight && rejected < stopAfter) void addOne(config.firstSeq + next++);
  if (config.rate > 0) await new Promise((r) => setTimeout(r, 10));
  else await Promise.race(pending);
}
const until = config.untilRefused;
if (until) {
  // Redis is full: one addBulk (it must write nothing, or say exactly what it wrote), then probes
  await Promise.all(pending);
  await addBulk(config.firstSeq + next, until.bulk);
  next += until.bulk;
  let inARow = 0; // Redis has room again once `probes` adds in a row were accepted
  while (inARow < until.probes) {
    inARow = (await addOne(config.firstSeq + next++)) ? inARow + 1 : 0;
    await new Promise((r) => setTimeout(r, until.probeEveryMs));
  }
}
await Promise.all(pending);
// wait until the message is handed to the IPC channel: exit() would drop it
await new Promise((resolve) => process.send?.({ t: 'done', added, rejected } satisfies ChildMessage, resolve));
await queue.close();
await history.close();
process.exit(0);
