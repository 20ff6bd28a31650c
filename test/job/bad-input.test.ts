// Untrusted input (invariant 8, docs/invariants.md): a bad payload, id, name or option gets a typed error and
// nothing is written; malformed records planted in Redis are dead-lettered with a reason and
// the worker carries on; a Redis that may evict keys is refused or warned about (invariant 9).
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import {
  ConnectionConfigError,
  EvictionPolicyError,
  InvalidIdError,
  InvalidOptionError,
  InvalidPayloadError,
  MalformedJobError,
  PayloadTooLargeError,
  Queue,
  Worker,
  type Job,
  type JobsOptions,
} from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { useRawClients } from '../helpers/tools.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

/** Every key under a prefix with its type and content, to prove that nothing was written. */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const keys = (await redis.keys(`${prefix}:*`)).sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const type = await redis.type(key);
    switch (type) {
      case 'hash':
        out[key] = await redis.hgetall(key);
        break;
      case 'zset':
        out[key] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
        break;
      case 'list':
        out[key] = await redis.lrange(key, 0, -1);
        break;
      case 'set':
        out[key] = (await redis.smembers(key)).sort();
        break;
      case 'stream':
        out[key] = await redis.xrange(key, '-', '+');
        break;
      default:
        out[key] = await redis.get(key);
    }
  }
  return out;
}

describe('bad input', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  /** A queue with one job already in it, and a check that a later call wrote nothing. */
  async function primed(name: string, opts: { maxPayloadBytes?: number } = {}) {
    const prefix = t.newPrefix();
    const queue = t.queue(name, opts);
    await queue.add('first', { ok: true });
    const redis = raw();
    const before = await snapshot(redis, prefix);
    return {
      queue,
      redis,
      async unchanged() {
        expect(await snapshot(redis, prefix)).toEqual(before);
      },
    };
  }

  it('data JSON cannot carry faithfully: InvalidPayloadError, nothing written', async () => {
    const { queue, unchanged } = await primed('payload');
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const bad: [string, unknown][] = [
      ['BigInt', { n: 10n }],
      ['top-level BigInt', 10n],
      ['function', { f: () => 1 }],
      ['top-level function', () => 1],
      ['symbol', { s: Symbol('x') }],
      ['circular', circular],
      ['NaN', { n: NaN }],
      ['Infinity', [1, Infinity]],
    ];
    for (const [what, data] of bad) {
      await expect(queue.add('x', data), what).rejects.toBeInstanceOf(InvalidPayloadError);
    }
    // one bad job in a bulk: none of the batch is written
    await expect(
      queue.addBulk([
        { name: 'ok', data: 1 },
        { name: 'bad', data: { n: NaN } },
      ]),
    ).rejects.toBeInstanceOf(InvalidPayloadError);
    await unchanged();
    expect((await queue.getJobCounts()).waiting).toBe(1);
  });

  it('data over maxPayloadBytes: PayloadTooLargeError (bytes, not characters), nothing written', async () => {
    const { queue, unchanged } = await primed('too-large', { maxPayloadBytes: 1024 });
    const err = await queue.add('x', { s: 'a'.repeat(2000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect((err as PayloadTooLargeError).limit).toBe(1024);
    expect((err as PayloadTooLargeError).size).toBeGreaterThan(2000);
    // 400 characters, 1,200 bytes of UTF-8
    await expect(queue.add('x', '€'.repeat(400))).rejects.toBeInstanceOf(PayloadTooLargeError);
    await unchanged();
    // just under the limit is fine
    await queue.add('x', 'b'.repeat(1000));
  });

  it('invalid job ids and names: InvalidIdError, nothing written', async () => {
    const { queue, unchanged } = await primed('ids');
    const ids: unknown[] = ['has space', 'a{b}', '{q}', '123', '0', 'x'.repeat(129), '', 'tab\there', 'nl\n', 42];
    for (const jobId of ids) {
      await expect(queue.add('x', null, { jobId } as JobsOptions), JSON.stringify(jobId)).rejects.toBeInstanceOf(InvalidIdError);
    }
    const names: unknown[] = ['', 'x'.repeat(257), 42, null];
    for (const name of names) {
      await expect(queue.add(name as string, null), JSON.stringify(name)).rejects.toBeInstanceOf(InvalidIdError);
    }
    await unchanged();
    // the limits themselves are accepted
    await queue.add('x'.repeat(256), null, { jobId: `order-${'y'.repeat(122)}` });
  });

  it('invalid options: InvalidOptionError, nothing written', async () => {
    const { queue, unchanged } = await primed('opts');
    const bad: unknown[] = [
      { foo: 1 },
      { attempts: 0 },
      { attempts: 1.5 },
      { priority: 0 },
      { priority: 3_000_000 },
      { delay: -1 },
      { delay: 1.5 },
      { timeout: 0 },
      { backoff: -5 },
      { backoff: { type: 'fixed', jitter: 2 } },
      { backoff: { delay: 10 } },
      { removeOnComplete: -1 },
      { removeOnFail: { count: -2 } },
      'not an object',
      [],
    ];
    for (const opts of bad) {
      await expect(queue.add('x', null, opts as JobsOptions), JSON.stringify(opts)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await unchanged();
  });

  it('invalid queue and group names are refused at construction', () => {
    for (const name of ['bad name', 'a{b}', '', 'x'.repeat(101)]) {
      expect(() => new Queue(name, { connection: t.url, logger: quietLogger }), name).toThrow(InvalidIdError);
    }
    expect(() => new Worker('q', async () => null, { connection: t.url, group: 'no spaces', logger: quietLogger })).toThrow(InvalidIdError);
    expect(() => new Queue('q', { connection: t.url, defaultJobOptions: { attempts: 0 }, logger: quietLogger })).toThrow(
      InvalidOptionError,
    );
  });

  it('an ioredis keyPrefix is refused with ConnectionConfigError', async () => {
    const client = raw({ keyPrefix: 'app:' });
    expect(() => new Queue('kp', { connection: client, logger: quietLogger })).toThrow(ConnectionConfigError);
    expect(() => new Worker('kp', async () => null, { connection: client, logger: quietLogger })).toThrow(ConnectionConfigError);
    const port = t.redis.port;
    expect(() => new Queue('kp', { connection: { host: '127.0.0.1', port, keyPrefix: 'app:' }, logger: quietLogger })).toThrow(
      ConnectionConfigError,
    );
    expect(
      () => new Worker('kp', async () => null, { connection: { host: '127.0.0.1', port, keyPrefix: 'app:' }, logger: quietLogger }),
    ).toThrow(ConnectionConfigError);
    expect(await client.keys('*kp*')).toEqual([]);
  });

  it('a duplicate jobId returns the existing job and writes nothing', async () => {
    const { queue, redis } = await primed('dup');
    const first = await queue.add('original', { v: 1 }, { jobId: 'order-7', attempts: 3 });
    const prefix = t.prefix;
    const before = await snapshot(redis, prefix);
    const again = await queue.add('impostor', { v: 2 }, { jobId: 'order-7', delay: 5000 });
    expect(again.id).toBe('order-7');
    expect(again.name).toBe('original');
    expect(again.data).toEqual({ v: 1 });
    expect(again.opts.attempts).toBe(3);
    expect(again.timestamp).toBe(first.timestamp);
    const bulk = await queue.addBulk([{ name: 'impostor', data: { v: 3 }, opts: { jobId: 'order-7' } }]);
    expect(bulk.map((j) => j.id)).toEqual(['order-7']);
    expect(await snapshot(redis, prefix)).toEqual(before);
    expect((await queue.getJobCounts()).waiting).toBe(2);
  });

  // regression: a bad group name was not refused with a typed error
  it('a bad group name is refused with a typed error', () => {
    expect(() => new Worker('q', async () => null, { connection: t.url, group: 'a:b', logger: quietLogger })).toThrow(InvalidIdError);
  });
});

describe('job ids that look like other keys', () => {
  const t = useRedis();

  it("a jobId ending in ':logs' is not deleted with another job's records", async () => {
    t.newPrefix();
    const queue = t.queue<{ v: number }, number>('collide');
    await queue.add('owner', { v: 1 }, { jobId: 'order-1', removeOnComplete: true });
    // either refused as an id, or a job of its own that nothing else touches
    const other = await queue.add('other', { v: 2 }, { jobId: 'order-1:logs' }).catch((err: unknown) => err);
    if (other instanceof InvalidIdError) return;
    expect(other).toMatchObject({ id: 'order-1:logs', data: { v: 2 } });
    const worker = t.worker<{ v: number }, number>('collide', async (j) => j.data.v);
    const done: string[] = [];
    worker.on('completed', (j) => done.push(j.id));
    await waitFor(() => done.includes('order-1'), 5000, 'order-1 completed');
    // order-1 is removed on completion, with its own log; the job 'order-1:logs' must survive
    await waitFor(async () => done.includes('order-1:logs') || !(await queue.getJob('order-1:logs')), 5000, 'the other job settled');
    expect(done).toEqual(['order-1', 'order-1:logs']);
    expect((await queue.getJob('order-1:logs'))?.returnvalue).toBe(2);
  });
});

describe('malformed records planted in Redis', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  /** A running worker whose group exists, and a way to show it still processes normal jobs. */
  async function running(name: string) {
    t.newPrefix();
    const queue = t.queue<unknown, unknown>(name);
    const worker = t.worker(name, async (j) => ({ ok: j.id }), { blockMs: 1000 });
    const failed: [Job | undefined, Error, boolean][] = [];
    worker.on('failed', (...args) => failed.push(args));
    await queue.add('warm-up', null);
    await waitForEvent(worker, 'completed');
    const redis = raw();
    return {
      queue,
      worker,
      redis,
      failed,
      /** What an add does after writing: wake an idle worker (one that times out blocks again). */
      wake: () => redis.zadd(queue.keys.group('default').wake, 'LT', 0, 'm'),
      async stillWorks() {
        const job = await queue.add('normal', { after: true });
        await waitFor(async () => (await queue.getJob(job.id))?.finishedOn !== undefined, 5000, 'a normal job afterwards');
        expect((await queue.getJob(job.id))?.returnvalue).toEqual({ ok: job.id });
      },
    };
  }

  it('a stream entry without the job id field is dead-lettered', async () => {
    const { queue, redis, failed, wake, stillWorks } = await running('no-j');
    const entryId = await redis.xadd(queue.keys.stream, '*', 'x', 'y');
    await wake();
    const id = `malformed-${entryId}`;
    await waitFor(async () => (await queue.getJobIds('failed')).includes(id), 5000, 'the entry dead-lettered');
    const dead = await queue.getJob(id);
    expect(await dead?.getState()).toBe('failed');
    expect(dead?.failedReason).toContain('neither a job id');
    expect(failed.some(([, err, willRetry]) => err.message.includes(id) && !willRetry)).toBe(true);
    await stillWorks();
  });

  const plantedRecords: [string, Record<string, string>, string][] = [
    ['data that is not JSON', { n: 'x', d: 'notjson', o: '{}', s: 'waiting', ts: '1', a: '0', dl: '0' }, 'data is not valid JSON'],
    ['options that are not JSON', { n: 'x', d: '{}', o: 'nope', s: 'waiting', ts: '1', a: '0', dl: '0' }, 'options are not valid JSON'],
    ['options that are not an object', { n: 'x', d: '{}', o: '[1]', s: 'waiting', ts: '1', a: '0', dl: '0' }, 'options are not an object'],
    ['no name', { d: '{}', o: '{}', s: 'waiting', ts: '1', a: '0', dl: '0' }, 'missing name'],
    ['no data', { n: 'x', o: '{}', s: 'waiting', ts: '1', a: '0', dl: '0' }, 'missing data'],
    ['no state', { n: 'x', d: '{}', o: '{}', ts: '1', a: '0', dl: '0' }, 'missing state'],
  ];
  for (const [what, fields, reason] of plantedRecords) {
    it(`a job record with ${what} is dead-lettered with a reason`, async () => {
      const { queue, redis, failed, wake, stillWorks } = await running('planted');
      await redis.hset(queue.keys.job('bad'), fields);
      await redis.xadd(queue.keys.stream, '*', 'j', 'bad');
      await wake();
      await waitFor(async () => (await queue.getJobIds('failed')).includes('bad'), 5000, 'the record dead-lettered');
      const dead = await queue.getJob('bad');
      expect(await dead?.getState()).toBe('failed');
      expect(dead?.failedReason).toContain(reason);
      await waitFor(() => failed.length > 0, 5000, 'a failed event');
      expect(failed[0]![2]).toBe(false);
      // data and options are parsed by the worker, which reports them as a MalformedJobError
      if (/JSON|object/.test(reason)) expect(failed[0]![1]).toBeInstanceOf(MalformedJobError);
      expect(await queue.getJobCounts()).toMatchObject({ active: 0, failed: 1 });
      await stillWorks();
    });
  }

  it('a job key of the wrong type is dead-lettered and does not take the jobs leased with it down', async () => {
    t.newPrefix();
    const queue = t.queue<unknown, unknown>('wrongtype');
    const redis = raw();
    await queue.add('before', null);
    await redis.set(queue.keys.job('clobbered'), 'not a hash');
    await redis.xadd(queue.keys.stream, '*', 'j', 'clobbered');
    await queue.add('after', null);
    // one lease call takes all three
    const worker = t.worker('wrongtype', async (j) => j.name, { concurrency: 5, blockMs: 1000 });
    const failed: Error[] = [];
    worker.on('failed', (_j, err) => failed.push(err));
    const done: string[] = [];
    worker.on('completed', (j) => done.push(j.name));
    await waitFor(() => done.length === 2, 3000, 'both normal jobs completed');
    expect(done.sort()).toEqual(['after', 'before']);
    await waitFor(() => failed.some((e) => e.message.includes('clobbered')), 5000, 'the clobbered job dead-lettered');
    expect((await queue.getJobCounts()).failed).toBe(1);
  });

  // regression: a wrong-type key planted for a delayed job stopped the group
  it('a wrong-type key planted for a delayed job is dead-lettered; the group keeps working', async () => {
    t.newPrefix();
    const queue = t.queue('poison');
    await t.admin.set(queue.keys.job('x'), 'not a hash');
    await t.admin.zadd(queue.keys.delayed, 0, 'x');
    const worker = t.worker('poison', async (job) => job.data);
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'ok', data: n })));
    await collectEvents(worker, 'completed', 3);
    expect(await queue.getJobIds('failed')).toContain('x');
    expect(await t.admin.get(queue.keys.job('x'))).toBe('not a hash');
  });
});

describe('maxmemory-policy', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  async function withPolicy(policy: string, body: () => Promise<void>): Promise<void> {
    const admin = raw();
    await admin.config('SET', 'maxmemory-policy', policy);
    try {
      await body();
    } finally {
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
    }
  }

  it("evictionPolicy 'refuse': queue.add rejects with EvictionPolicyError and writes nothing", async () => {
    const prefix = t.newPrefix();
    await withPolicy('allkeys-lru', async () => {
      const queue = t.queue('refuse', { evictionPolicy: 'refuse' });
      const err = await queue.add('x', null).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EvictionPolicyError);
      expect((err as Error).message).toContain('allkeys-lru');
      expect(await raw().keys(`${prefix}:*`)).toEqual([]);
    });
  });

  it("evictionPolicy 'warn' (the default): logs a warning and carries on", async () => {
    t.newPrefix();
    await withPolicy('allkeys-lru', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
      const queue = t.queue('warn', { logger });
      const job = await queue.add('x', null);
      expect(job.id).toMatch(/^\d+-\d+$/);
      const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string; policy?: string; queue?: string });
      const warning = warnings.find((w) => w.msg.includes('maxmemory-policy'));
      expect(warning).toBeDefined();
      expect(warning).toMatchObject({ level: 40, policy: 'allkeys-lru', queue: 'warn' });
    });
  });

  it("evictionPolicy 'refuse' on a worker: an error event, nothing processed, and it closes", async () => {
    t.newPrefix();
    const queue = t.queue('refuse-worker');
    const job = await queue.add('x', null);
    await withPolicy('volatile-lru', async () => {
      const seen: string[] = [];
      const worker = new Worker('refuse-worker', async (j) => void seen.push(j.id), {
        connection: t.url,
        prefix: t.prefix,
        evictionPolicy: 'refuse',
        logger: quietLogger,
      });
      try {
        const closed = waitForEvent(worker, 'closed', 5000);
        const [err] = await waitForEvent<[Error]>(worker, 'error', 5000);
        expect(err).toBeInstanceOf(EvictionPolicyError);
        await closed;
        expect(worker.health().state).toBe('closed');
        expect(seen).toEqual([]);
        expect(await (await queue.getJob(job.id))?.getState()).toBe('waiting');
      } finally {
        // do not leave its connections behind if it failed to close
        const internals = worker as unknown as { client: Redis; blocking: Redis };
        internals.client.disconnect();
        internals.blocking.disconnect();
      }
    });
  });
});

describe("a script called with a key prefix that is not its keys'", () => {
  const t = useRedis();

  it('is refused before it runs: keys derived in Lua cannot reach another queue', async () => {
    const queue = t.queue('mine');
    await queue.add('j', 1);
    const other = t.queue('theirs');
    const redis = new Redis(t.url);
    try {
      const { registerScripts } = await import('../../src/redis/script-registry.js');
      const { luaScripts } = await import('../../src/generated/lua.js');
      registerScripts(redis);
      const keys = queue.keys;
      const g = keys.group('default');
      const lease = (redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[luaScripts.lease.name]!;
      const args = [
        keys.stream,
        keys.wake,
        keys.groups,
        keys.delayed,
        g.wait,
        g.active,
        g.retry,
        g.prio,
        g.failed,
        g.paused,
        keys.schedulers,
        g.limiter,
      ];
      const config = JSON.stringify({ leaseMs: 1000, maxStalls: 1, keepFailed: [-1, -1] });
      await expect(lease.call(redis, ...args, other.keys.base, 'default', 'sluice', 'n', 1, config)).rejects.toThrow(
        /is not the prefix of/,
      );
      // nothing moved: the job still waits
      expect(await queue.getJobCounts()).toMatchObject({ waiting: 1, active: 0 });
    } finally {
      redis.disconnect();
    }
  });
});
