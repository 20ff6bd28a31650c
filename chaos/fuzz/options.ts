// The fuzzer's option objects, for Queue, Worker, QueueEvents, add/addBulk (job options) and
// upsertScheduler (repeat and template): a random subset of the real keys, each with a plausible
// value or a bad one (wrong type, negative, NaN, Infinity, huge, a wrong enum), sometimes an
// unknown key, sometimes not an object at all. The connection is never fuzzed: every call must
// reach the fuzzer's own redis-server and no other.
import type { Rng } from './prng.js';
import { fuzzJobId, fuzzName, fuzzPayload, safeString, weirdNumber, weirdString, weirdValue } from './values.js';

type Gen = (rng: Rng) => unknown;

/** Keys no options object knows, some of them misspellings and some prototype names. */
const UNKNOWN_KEYS = ['concurency', 'atempts', 'delay_ms', 'foo', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', ''];

/** An object with a random subset of `fields`, each plausible (70 %) or bad; sometimes unknown keys or no object at all. */
function optionsObject(rng: Rng, fields: Record<string, Gen>, pBad = 0.3): unknown {
  if (rng.chance(0.04)) return weirdValue(rng);
  const out: Record<string, unknown> = {};
  for (const [key, gen] of Object.entries(fields)) {
    if (!rng.chance(0.35)) continue;
    out[key] = rng.chance(pBad) ? weirdValue(rng) : gen(rng);
  }
  if (rng.chance(0.06)) out[rng.pick(UNKNOWN_KEYS)] = weirdValue(rng);
  if (rng.chance(0.02)) return Object.assign(JSON.parse('{"__proto__":{"attempts":0}}') as object, out);
  return out;
}

const keep: Gen = (rng) => rng.oneOf<unknown>([() => rng.chance(0.5), () => rng.int(0, 100), () => ({ count: rng.int(0, 50), age: 60 })]);
const limit: Gen = (rng) => ({ max: rng.chance(0.8) ? rng.int(1, 1000) : weirdNumber(rng), duration: rng.int(1, 60_000) });
const nonNegative: Gen = (rng) => (rng.chance(0.7) ? rng.int(0, 5000) : weirdNumber(rng));
const positive: Gen = (rng) => (rng.chance(0.7) ? rng.int(1, 5000) : weirdNumber(rng));

const JOB_FIELDS: Record<string, Gen> = {
  jobId: (rng) => fuzzJobId(rng, rng.int(0, 1e9)),
  delay: nonNegative,
  attempts: (rng) => (rng.chance(0.7) ? rng.int(1, 5) : weirdNumber(rng)),
  backoff: (rng) =>
    rng.chance(0.4)
      ? nonNegative(rng)
      : {
          type: rng.pick(['fixed', 'exponential', 'exponentail', 'custom', '']),
          delay: nonNegative(rng),
          jitter: rng.pick([0, 0.5, 1, 2, -1]),
        },
  priority: (rng) => (rng.chance(0.7) ? rng.int(1, 2097152) : weirdNumber(rng)),
  timeout: positive,
  removeOnComplete: keep,
  removeOnFail: keep,
  lifo: (rng) => rng.chance(0.5),
  ttl: positive,
  startBy: (rng) => (rng.chance(0.5) ? new Date(Date.now() + rng.int(-1e5, 1e7)) : Date.now() + rng.int(-1e5, 1e7)),
  deduplication: (rng) => ({
    id: fuzzJobId(rng, rng.int(0, 50)),
    ttl: rng.chance(0.5) ? positive(rng) : undefined,
    replace: rng.chance(0.3),
  }),
  orderingKey: (rng) => fuzzName(rng, 100),
  releaseKeyOnRetry: (rng) => rng.chance(0.5),
  traceContext: (rng) => ({ traceparent: rng.chance(0.5) ? `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` : weirdString(rng) }),
};

export function fuzzJobOptions(rng: Rng): unknown {
  return optionsObject(rng, JOB_FIELDS);
}

/** add()'s options: the job options plus `wait` (for room in a full queue), kept short. */
export function fuzzAddOptions(rng: Rng): unknown {
  const o = fuzzJobOptions(rng);
  if (o && typeof o === 'object' && !Array.isArray(o) && rng.chance(0.1)) {
    (o as Record<string, unknown>).wait = rng.chance(0.6) ? rng.int(0, 200) : weirdNumber(rng);
  }
  return o;
}

export function fuzzQueueOptions(rng: Rng, connection: string): Record<string, unknown> {
  const o = optionsObject(rng, {
    prefix: (r) => (r.chance(0.6) ? `fz${safeString(r, 0, 8)}` : weirdString(r)),
    defaultJobOptions: (r) => fuzzJobOptions(r),
    maxPayloadBytes: positive,
    evictionPolicy: (r) => r.pick(['warn', 'refuse', 'ignore', 'WARN', 'refuze', '']),
    maxLength: positive,
    events: (r) => ({ maxLen: positive(r), maxAgeMs: positive(r) }),
    retention: (r) => ({ maxLen: nonNegative(r), maxAgeMs: nonNegative(r) }),
    // a short timeout only: a valid replicas count with no replica waits that long
    durability: (r) => ({ replicas: r.pick([0, 1, -1, 1.5]), timeoutMs: r.pick([50, 0, -1, Number.NaN, 'x']) }),
    partitions: (r) => (r.chance(0.6) ? r.int(1, 4) : weirdNumber(r)),
    telemetry: (r) => r.pick<unknown>([true, false, {}, { tracer: 1 }]),
  });
  return withConnection(o, connection);
}

export function fuzzWorkerOptions(rng: Rng, connection: string): Record<string, unknown> {
  const o = optionsObject(rng, {
    prefix: (r) => `fz${safeString(r, 0, 8)}`,
    group: (r) => fuzzName(r, 64),
    limiter: limit,
    keyConcurrency: positive,
    keyLimiter: limit,
    concurrency: (r) => (r.chance(0.7) ? r.int(1, 50) : weirdNumber(r)),
    prefetch: nonNegative,
    leaseMs: (r) => (r.chance(0.7) ? r.int(1000, 60_000) : weirdNumber(r)),
    maxStalls: nonNegative,
    blockMs: (r) => (r.chance(0.7) ? r.int(50, 2000) : weirdNumber(r)),
    watchdogGraceMs: positive,
    backoffStrategies: (r) => r.pick<unknown>([{}, { mine: () => 5 }, { bad: 5 }, { '': () => 1 }]),
    autorun: (r) => r.chance(0.3),
    maxPayloadBytes: positive,
    evictionPolicy: (r) => r.pick(['warn', 'refuse', 'ignore', 'nope']),
    partitions: (r) => r.int(1, 3),
    name: (r) => weirdString(r),
    metrics: (r) => ({ flushMs: positive(r) }),
    telemetry: (r) => r.chance(0.5),
  });
  // most workers built must not start: one that does is closed at once anyway
  const w = withConnection(o, connection);
  if (!('autorun' in w) && rng.chance(0.8)) w.autorun = false;
  return w;
}

export function fuzzQueueEventsOptions(rng: Rng, connection: string): Record<string, unknown> {
  const o = optionsObject(rng, {
    prefix: (r) => `fz${safeString(r, 0, 8)}`,
    from: (r) => r.pick<unknown>(['now', 'start', '$', '0-0', 0, -5, '1-1', 'garbage']),
    group: (r) => fuzzName(r, 64),
    blockMs: (r) => (r.chance(0.7) ? r.int(10, 1000) : weirdNumber(r)),
    partitions: (r) => r.int(1, 3),
    partition: (r) => r.int(0, 3),
  });
  return withConnection(o, connection);
}

/** A bad options value (not an object) still gets the connection only when it is an object. */
function withConnection(o: unknown, connection: string): Record<string, unknown> {
  if (o && typeof o === 'object' && !Array.isArray(o)) return { ...(o as object), connection };
  return { connection, defaultJobOptions: o };
}

const CRONS = [
  '* * * * *',
  '*/5 * * * * *',
  '0 0 * * *',
  'nope',
  '',
  '99 * * * *',
  '* * * * * * *',
  '@hourly',
  '0 0 31 2 *',
  '*/0 * * * *',
];

export function fuzzRepeat(rng: Rng): unknown {
  return optionsObject(rng, {
    pattern: (r) => r.pick(CRONS),
    tz: (r) => r.pick(['UTC', 'Europe/Berlin', 'Mars/Olympus', '', '+05:00']),
    every: (r) => (r.chance(0.7) ? r.int(1000, 3_600_000) : weirdNumber(r)),
    startDate: (r) => r.pick<unknown>([new Date(), Date.now() + 1e6, new Date(Number.NaN), 'tomorrow']),
    endDate: (r) => r.pick<unknown>([new Date(Date.now() + 1e7), Date.now() - 1e6, -1]),
    limit: positive,
    immediately: (r) => r.chance(0.5),
    skipMissed: (r) => r.chance(0.5),
  });
}

export function fuzzTemplate(rng: Rng, payloadLimit: number): unknown {
  return optionsObject(rng, {
    name: (r) => fuzzName(r, 256),
    data: (r) => fuzzPayload(r, payloadLimit),
    opts: (r) => fuzzJobOptions(r),
  });
}
