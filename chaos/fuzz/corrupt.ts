// The corruption fuzz's plants: one random corruption of a queue's Redis contents per case, as a
// crash, a bug or a hand with redis-cli could leave it. Job records planted whole (garbage or
// missing fields, wrong key types, huge values), records of live jobs garbled, malformed stream
// entries, garbage members and scores in the delayed, retry, active and priority sets and the
// wait list, garbled ordering-key structures, scheduler records and events, and meta (settings)
// fields garbled for a moment. docs/key-schema.md describes what each key should hold.
import type { Redis } from 'ioredis';
import type { Queue } from '../../src/index.js';
import { JobField, MetaField } from '../../src/redis/keys.js';
import type { Rng } from './prng.js';

/** What a case planted, for the runner to classify at the end. */
export interface Plant {
  n: number;
  kind: string;
  /** The job it concerns, when it concerns one (a planted or garbled record). */
  jobId?: string;
  /** A member planted into a structure: whether it is still there at the end is recorded. */
  member?: { key: string; type: 'zset' | 'list'; value: string };
  /** A stream entry planted: a job dead-lettered as "malformed-<entry id>", or run as the entry's id. */
  entryId?: string;
  /** Puts back what a short-lived corruption (a setting) changed. */
  restore?: () => Promise<unknown>;
}

// every named field, and the first pieces of spread data (lua/includes/jobData.lua)
const FIELDS: string[] = [
  ...Object.values(JobField).flatMap((f) => (typeof f === 'string' ? [f] : [])),
  JobField.dataPiece(1),
  JobField.dataPiece(2),
];

/** A garbage value for a Redis field or member. */
export function garbage(rng: Rng): string | Buffer {
  return rng.oneOf<string | Buffer>([
    () => rng.pick(['', 'x', 'NaN', 'nan', '-1', '0', '1e400', '-1e400', 'inf', '-inf', '0x10', ' 1', '1.5', '99999999999999999999999']),
    () => rng.pick(['{"a":', 'null', '[]', '{}', 'true', '"str"', '[1,2', '{"__proto__":{"x":1}}', '{"attempts":"many"}', '\\ud800']),
    () => rng.pick(['waiting', 'active', 'completed', 'failed', 'delayed', 'WAITING', 'paused']),
    () => rng.pick(['{', '}', ':', 'a b', 'job:x', '\u0000', '\ud800', 'é', '🙂']),
    () => 'z'.repeat(rng.pick([1000, 70_000])),
    () => Buffer.from([0xff, 0xfe, 0x00, 0xc3]),
    () => {
      const depth = rng.pick([5, 1001, 5000]);
      return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
    },
    () => String(rng.int(-1e6, 1e13)),
  ]);
}

/** A job record's fields: each present or not, plausible or garbage. */
function recordFields(rng: Rng): (string | Buffer)[] {
  const plausible: Record<string, () => string> = {
    n: () => 'planted',
    d: () => '{"p":1}',
    o: () => '{}',
    s: () => 'waiting',
    ts: () => '1',
    a: () => '0',
    dl: () => '0',
  };
  const args: (string | Buffer)[] = [];
  for (const f of FIELDS) {
    const p = plausible[f];
    if (p ? rng.chance(0.8) : rng.chance(0.15)) args.push(f, p && rng.chance(0.75) ? p() : garbage(rng));
  }
  return args.length > 0 ? args : ['s', garbage(rng)];
}

type Planter = (ctx: PlantContext, rng: Rng, p: Plant) => Promise<void>;

export interface PlantContext {
  redis: Redis;
  queue: Queue;
  group: string;
  /**
   * Settings fields as they were before the first plant that garbled them: two plants on one
   * field overlap (full mode plants every 10 ms), and the later one must not save the earlier
   * one's garbage as the value to put back (it stayed: a limitUntil in 2031 stopped the group).
   */
  settingsBefore?: Map<string, string | null>;
}

const groupPrefix = (c: PlantContext) => `${c.queue.keys.base}g:${c.group}:`;
const keysOf = (c: PlantContext) => ({ q: c.queue.keys, g: c.queue.keys.group(c.group) });
const score = (rng: Rng) => rng.pick(['0', '-1', String(Date.now()), String(Date.now() + 200), '1e15', '-inf', '+inf', '1.5']);
const member = (rng: Rng, n: number) =>
  rng.pick([`ghost-${n}`, `{x}-${n}`, '', `a b-${n}`, `g-${n}:job:x`, 'z'.repeat(5000), `\u0000${n}`]);

const PLANTERS: Record<string, Planter> = {
  /** A record sluice never wrote, announced in the stream. */
  async 'planted-record'(c, rng, p) {
    const { q } = keysOf(c);
    p.jobId = `c-${p.n}`;
    await c.redis.hset(q.job(p.jobId), ...(recordFields(rng) as string[]));
    await c.redis.xadd(q.stream, '*', 'j', p.jobId);
  },
  /** The job key holds another type than a hash. */
  async 'wrong-type-record'(c, rng, p) {
    const { q } = keysOf(c);
    p.jobId = `c-${p.n}`;
    const key = q.job(p.jobId);
    await rng.oneOf<Promise<unknown>>([
      () => c.redis.set(key, garbage(rng)),
      () => c.redis.rpush(key, 'a'),
      () => c.redis.sadd(key, 'a'),
      () => c.redis.zadd(key, 1, 'a'),
    ]);
    await c.redis.xadd(q.stream, '*', 'j', p.jobId);
  },
  /** A live job's record garbled: a field set to garbage or deleted, or the whole record replaced. */
  async 'garbled-job'(c, rng, p) {
    p.jobId = `c-${p.n}`;
    const delay = rng.pick([0, 0, 100, 300, 600]);
    const ordered = rng.chance(0.25);
    await c.queue.add(
      'victim',
      { v: p.n },
      { jobId: p.jobId, attempts: rng.int(1, 3), ...(ordered ? { orderingKey: `ck-${p.n}` } : { delay }) },
    );
    const key = c.queue.keys.job(p.jobId);
    const field = rng.pick(FIELDS);
    await rng.oneOf<Promise<unknown>>([
      () => c.redis.hset(key, field, garbage(rng)),
      () => c.redis.hset(key, field, garbage(rng)),
      () => c.redis.hdel(key, field),
      () => c.redis.del(key),
      () => c.redis.set(key, garbage(rng)),
      () => c.redis.hset(key, ...(recordFields(rng) as string[])),
    ]);
  },
  /** A stream entry with missing, garbage or huge fields. */
  async 'stream-entry'(c, rng, p) {
    const { q } = keysOf(c);
    const fields: (string | Buffer)[] = rng.oneOf<(string | Buffer)[]>([
      () => ['x', 'y'],
      () => ['j', member(rng, p.n)],
      () => ['j', garbage(rng)],
      () => ['n', garbage(rng), 'd', garbage(rng), 'o', garbage(rng)],
      () => ['n', 'inline', 'd', garbage(rng)],
      () => ['d', '{}', 'n', 'swapped'],
      () => ['j', `ghost-${p.n}`, 'n', 'x', 'd', garbage(rng), 'o', garbage(rng)],
      () => ['o', '{}'],
    ]);
    p.entryId = (await c.redis.xadd(q.stream, '*', ...(fields as string[]))) ?? undefined;
  },
  /** Garbage in the sorted sets of due times, leases and priorities, and in the redelivery list. */
  async 'set-member'(c, rng, p) {
    const { q, g } = keysOf(c);
    const key = rng.pick([q.delayed, g.retry, g.active, g.prio]);
    const value = member(rng, p.n);
    await c.redis.zadd(key, score(rng), value);
    p.member = { key, type: 'zset', value };
  },
  async 'wait-member'(c, rng, p) {
    const { g } = keysOf(c);
    const value = rng.chance(0.5) ? member(rng, p.n) : String(garbage(rng));
    await (rng.chance(0.5) ? c.redis.rpush(g.wait, value) : c.redis.lpush(g.wait, value));
    p.member = { key: g.wait, type: 'list', value };
  },
  /** An ordered job whose key's structures (slots, ring, line) are garbled. */
  async 'ordering-key'(c, rng, p) {
    const { g } = keysOf(c);
    p.jobId = `c-${p.n}`;
    const k = `ck-${p.n}`;
    await c.queue.add('victim', { v: p.n }, { jobId: p.jobId, orderingKey: k });
    await rng.oneOf<Promise<unknown>>([
      () => c.redis.hset(g.keyState, `a:${k}`, garbage(rng)),
      () => c.redis.hset(g.keyState, `r:${k}`, garbage(rng)),
      // the key's line of waiting jobs and the ring of ready keys (Lua-only names: lua/includes)
      () => c.redis.rpush(`${groupPrefix(c)}key:${k}`, member(rng, p.n)),
      () => c.redis.rpush(`${groupPrefix(c)}keys`, rng.pick([k, `ghost-key-${p.n}`, ''])),
      () => c.redis.zadd(g.keyWait, score(rng), rng.pick([k, `ghost-key-${p.n}`])),
    ]);
  },
  /** A scheduler record with garbage fields, due now. */
  async scheduler(c, rng, p) {
    const { q } = keysOf(c);
    const key = `fzs-${p.n}`;
    const f: (string | Buffer)[] = [];
    for (const name of ['spec', 'template', 'count', 'next', 'last']) {
      if (rng.chance(0.7)) f.push(name, rng.chance(0.5) ? garbage(rng) : plausibleScheduler(name));
    }
    if (f.length > 0) await c.redis.hset(q.scheduler(key), ...(f as string[]));
    await c.redis.zadd(q.schedulers, rng.pick(['0', String(Date.now()), '-inf', '1e15']), key);
    p.member = { key: q.schedulers, type: 'zset', value: key };
  },
  /** Events nobody sluice wrote, for the QueueEvents reader. */
  async event(c, rng) {
    const { q } = keysOf(c);
    const fields = rng.oneOf<(string | Buffer)[]>([
      () => ['e', rng.pick(['completed', 'failed', 'progress', 'added', 'nope', '']), 'j', garbage(rng), 'r', garbage(rng)],
      () => ['e', 'completed', 'j', 'a b c', 'r', '[1', 'o', garbage(rng)],
      () => ['x', garbage(rng)],
      () => ['e', 'progress', 'j', `ghost-${rng.int(0, 9)}`, 'p', garbage(rng)],
    ]);
    await c.redis.xadd(q.events, '*', ...(fields as string[]));
  },
  /** A setting garbled for a moment, then put back. */
  async setting(c, rng, p) {
    const { q } = keysOf(c);
    const field = rng.pick([
      MetaField.eventsMaxLen,
      MetaField.eventsMaxAgeMs,
      MetaField.keepLen,
      MetaField.keepAgeMs,
      MetaField.maxLength,
      MetaField.limit(c.group),
      MetaField.limitUntil(c.group),
      MetaField.keyConcurrency(c.group),
      MetaField.keyLimit(c.group),
      MetaField.drained(c.group),
    ]);
    const saved = (c.settingsBefore ??= new Map());
    if (!saved.has(field)) saved.set(field, await c.redis.hget(q.meta, field));
    const before = saved.get(field) ?? null;
    await c.redis.hset(q.meta, field, garbage(rng));
    p.restore = () => (before === null ? c.redis.hdel(q.meta, field) : c.redis.hset(q.meta, field, before));
  },
};

function plausibleScheduler(field: string): string {
  switch (field) {
    case 'spec':
      return '{"every":1000}';
    case 'template':
      return '{"name":"sched","data":"{}","opts":"{}"}';
    default:
      return '0';
  }
}

export const PLANT_KINDS = Object.keys(PLANTERS);

/** Plants one random corruption; resolves with what it planted. */
export async function plant(ctx: PlantContext, rng: Rng, n: number): Promise<Plant> {
  const kind = rng.pick(PLANT_KINDS);
  const p: Plant = { n, kind };
  await PLANTERS[kind]!(ctx, rng, p);
  return p;
}
