// Options and Redis failures reach the caller as typed errors: an unknown option key is refused
// (naming the nearest known one) by every constructor and method that takes options, and
// Redis failures (unreachable, out of memory, a read-only replica, an error reply) become
// SluiceErrors that keep ioredis' error as their cause. addBulk says exactly which jobs it added.
import { describe, expect, it } from 'vitest';
import {
  AddBulkError,
  InvalidOptionError,
  Queue,
  QueueFullError,
  QueueEvents,
  RedisCommandError,
  RedisOutOfMemoryError,
  RedisReadOnlyError,
  RedisUnavailableError,
  type SluiceError,
  UnknownOptionError,
  Worker,
} from '../../src/index.js';
import { startProxy } from '../helpers/proxy.js';
import { freePort } from '../helpers/redis.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

/** The error a call rejects (or throws) with; fails the test if it succeeds. */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function expectUnknown(err: unknown, option: string, suggestion: string | undefined): void {
  expect(err).toBeInstanceOf(UnknownOptionError);
  expect(err).toBeInstanceOf(InvalidOptionError);
  const e = err as UnknownOptionError;
  expect(e.code).toBe('INVALID_OPTION');
  expect(e.option).toBe(option);
  expect(e.suggestion).toBe(suggestion);
  expect(e.message).toContain(`"${option}"`);
  if (suggestion) expect(e.message).toContain(`did you mean "${suggestion}"?`);
}

describe('unknown options are refused, with the nearest known name', () => {
  const t = useRedis();

  it('Queue, Worker and QueueEvents constructors, nested objects included', async () => {
    const connection = t.url;
    const queue = (opts: object) => () => new Queue('q', { connection, logger: quietLogger, ...opts });
    expectUnknown(await failure(queue({ maxLenght: 10 })), 'maxLenght', 'maxLength');
    expectUnknown(await failure(queue({ retention: { maxLen: 5, maxAge: 1000 } })), 'retention.maxAge', 'retention.maxAgeMs');
    expectUnknown(await failure(queue({ events: { maxlen: 5 } })), 'events.maxlen', 'events.maxLen');
    expectUnknown(await failure(queue({ defaultJobOptions: { atempts: 2 } })), 'atempts', 'attempts');
    expect(((await failure(queue({ evictionPolicy: 'refuze' }))) as Error).message).toContain("did you mean 'refuse'");

    const worker = (opts: object) => () => new Worker('q', async () => 1, { connection, logger: quietLogger, autorun: false, ...opts });
    expectUnknown(await failure(worker({ concurency: 10 })), 'concurency', 'concurrency');
    // nothing near: no suggestion, but the known names are listed
    const shards = await failure(worker({ shards: 6 }));
    expectUnknown(shards, 'shards', undefined);
    expect((shards as Error).message).toContain('concurrency');
    expectUnknown(await failure(worker({ limiter: { max: 1, duraton: 1000 } })), 'limiter.duraton', 'limiter.duration');
    expectUnknown(await failure(worker({ keyLimiter: { maxx: 1, duration: 1000 } })), 'keyLimiter.maxx', 'keyLimiter.max');
    expectUnknown(await failure(worker({ leasems: 1000 })), 'leasems', 'leaseMs');

    const events = (opts: object) => () => new QueueEvents('q', { connection, logger: quietLogger, ...opts });
    expectUnknown(await failure(events({ blockMS: 100 })), 'blockMS', 'blockMs');
    expectUnknown(await failure(events({ groupName: 'a' })), 'groupName', undefined);
  });

  it('job options (nested too) and the options of every method; nothing is written', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('methods');
    const cases: [string, () => unknown, string, string | undefined][] = [
      ['add', () => queue.add('n', 1, { attempt: 3 } as never), 'attempt', 'attempts'],
      ['add wait', () => queue.add('n', 1, { wiat: 100 } as never), 'wiat', 'wait'],
      ['backoff', () => queue.add('n', 1, { backoff: { type: 'fixed', dealy: 10 } as never }), 'backoff.dealy', 'backoff.delay'],
      ['dedup', () => queue.add('n', 1, { deduplication: { id: 'x', tll: 5 } as never }), 'deduplication.tll', 'deduplication.ttl'],
      [
        'retention',
        () => queue.add('n', 1, { removeOnComplete: { count: 1, ages: 1 } as never }),
        'removeOnComplete.ages',
        'removeOnComplete.age',
      ],
      ['addBulk', () => queue.addBulk([{ name: 'n', data: 1 }, { name: 'n', data: 2, otps: {} } as never]), 'otps', 'opts'],
      ['getJob', () => queue.getJob('x', { gruop: 'a' } as never), 'gruop', 'group'],
      ['getJobs', () => queue.getJobs('waiting', 0, -1, { gruop: 'a' } as never), 'gruop', 'group'],
      ['getJobIds', () => queue.getJobIds('waiting', 0, -1, { groups: 'a' } as never), 'groups', 'group'],
      ['getJobCounts', () => queue.getJobCounts({ Group: 'a' } as never), 'Group', 'group'],
      ['pause', () => queue.pause({ grop: 'a' } as never), 'grop', 'group'],
      ['drain', () => queue.drain(true, { gorup: 'a' } as never), 'gorup', 'group'],
      ['clean', () => queue.clean(0, 10, 'completed', { grup: 'a' } as never), 'grup', 'group'],
      ['retryJobs', () => queue.retryJobs({ stat: 'failed' } as never), 'stat', 'state'],
      ['createGroup', () => queue.createGroup('g', { form: 'start' } as never), 'form', 'from'],
      ['removeGroup', () => queue.removeGroup('g', { forse: true } as never), 'forse', 'force'],
      ['obliterate', () => queue.obliterate({ froce: true } as never), 'froce', 'force'],
      ['remove', () => queue.remove('x', { gruop: 'a' } as never), 'gruop', 'group'],
      ['setRateLimit', () => queue.setRateLimit({ max: 1, durration: 10 } as never), 'durration', 'duration'],
      ['repeat', () => queue.upsertScheduler('k', { every: 1000, limt: 3 } as never, { name: 'n' }), 'limt', 'limit'],
      ['template', () => queue.upsertScheduler('k', { every: 1000 }, { name: 'n', dta: 1 } as never), 'dta', 'data'],
      ['call', () => queue.call('n', 1, { timout: 10 } as never), 'timout', 'timeout'],
    ];
    for (const [what, call, option, suggestion] of cases) {
      const err = await failure(call);
      expect(err, what).toBeInstanceOf(UnknownOptionError);
      expectUnknown(err, option, suggestion);
    }
    expect(await t.admin.keys(`${prefix}:*`)).toEqual([]);
  });
});

/** The user's setting for calls that fail at once while Redis is away (the default waits ~10 s). */
const failFast = (url: string) => ({ url, maxRetriesPerRequest: 1 });

/** A port where nothing listens. */
async function deadUrl(): Promise<{ url: string; address: string }> {
  const port = await freePort();
  return { url: `redis://127.0.0.1:${port}`, address: `127.0.0.1:${port}` };
}

function expectUnavailable(err: unknown, address: string): void {
  expect(err).toBeInstanceOf(RedisUnavailableError);
  const e = err as RedisUnavailableError;
  expect(e.code).toBe('REDIS_UNAVAILABLE');
  expect(e.address).toBe(address);
  expect(e.message).toContain(`Redis at ${address} is unreachable`);
  expect(e.message).toContain('ECONNREFUSED');
  expect(e.cause).toBeInstanceOf(Error);
  expect((e.cause as Error).name).toBe('MaxRetriesPerRequestError');
}

describe('Redis failures are typed errors that keep their cause', () => {
  const t = useRedis();

  it(
    'an unreachable Redis: add() and getJobCounts() reject with RedisUnavailableError naming host:port ' +
      '(promptly with maxRetriesPerRequest 1)',
    async () => {
      const { url, address } = await deadUrl();
      for (const call of [(q: Queue) => q.add('n', 1), (q: Queue) => q.getJobCounts()]) {
        const queue = new Queue('q', { connection: failFast(url), logger: quietLogger });
        try {
          const started = Date.now();
          expectUnavailable(await failure(() => call(queue)), address);
          expect(Date.now() - started).toBeLessThan(2000);
        } finally {
          await queue.close();
        }
      }
    },
  );

  it('every public method of Queue that reaches Redis is covered', async () => {
    const { url, address } = await deadUrl();
    const queue = new Queue('q', { connection: failFast(url), logger: quietLogger });
    try {
      // (getJob is left out: its record read ignores the errors of its pipeline, see the report)
      const calls: [string, () => Promise<unknown>][] = [
        ['getJobIds', () => queue.getJobIds('waiting')],
        ['getJobs', () => queue.getJobs('failed')],
        ['retryJobs', () => queue.retryJobs()],
        ['pause', () => queue.pause()],
        ['resume', () => queue.resume()],
        ['isPaused', () => queue.isPaused()],
        ['drain', () => queue.drain()],
        ['clean', () => queue.clean(0, 10)],
        ['upsertScheduler', () => queue.upsertScheduler('k', { every: 1000 }, { name: 'n' })],
        ['removeScheduler', () => queue.removeScheduler('k')],
        ['getScheduler', () => queue.getScheduler('k')],
        ['getSchedulers', () => queue.getSchedulers()],
        ['setRateLimit', () => queue.setRateLimit({ max: 1, duration: 10 })],
        ['getRateLimit', () => queue.getRateLimit()],
        ['createGroup', () => queue.createGroup('g')],
        ['getGroups', () => queue.getGroups()],
        ['removeGroup', () => queue.removeGroup('g')],
        ['getDeduplicationJobId', () => queue.getDeduplicationJobId('d')],
        ['remove', () => queue.remove('a')],
        ['obliterate', () => queue.obliterate()],
      ];
      const errors = await Promise.all(calls.map(([, call]) => failure(call)));
      errors.forEach((err, i) => {
        expect(err, calls[i]![0]).toBeInstanceOf(RedisUnavailableError);
        expect((err as Error).message, calls[i]![0]).toContain(address);
      });
    } finally {
      await queue.close();
    }
  });

  it('addBulk against an unreachable Redis: AddBulkError, every job certainly not added (never sent)', async () => {
    const { url, address } = await deadUrl();
    const queue = new Queue('q', { connection: failFast(url), logger: quietLogger });
    try {
      const err = await failure(() => queue.addBulk(Array.from({ length: 600 }, (_, i) => ({ name: 'n', data: i }))));
      expect(err).toBeInstanceOf(AddBulkError);
      const e = err as AddBulkError;
      expect(e.code).toBe('ADD_BULK_INCOMPLETE');
      expect(e.added).toEqual([]);
      expect(e.unknown).toEqual([]);
      expect(e.notAdded).toEqual(Array.from({ length: 600 }, (_, i) => i));
      expectUnavailable(e.cause, address);
    } finally {
      await queue.close();
    }
  });

  /** Sets maxmemory on the file's Redis for the body, then removes the limit and the test's keys. */
  async function withMaxmemory(bytes: number, body: () => Promise<void>): Promise<void> {
    await t.admin.config('SET', 'maxmemory', String(bytes));
    try {
      await body();
    } finally {
      await t.admin.config('SET', 'maxmemory', '0');
    }
  }

  it('out of memory: add() rejects with RedisOutOfMemoryError keeping the OOM reply as cause; nothing written', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('oom');
    await queue.add('before', 1);
    const used = Number(/used_memory:(\d+)/.exec(await t.admin.info('memory'))![1]);
    await withMaxmemory(Math.floor(used / 2), async () => {
      const err = await failure(() => queue.add('n', 1));
      expect(err).toBeInstanceOf(RedisOutOfMemoryError);
      const e = err as RedisOutOfMemoryError;
      expect(e.code).toBe('REDIS_OOM');
      expect(e.message).toContain(`Redis at 127.0.0.1:${t.redis.port} is out of memory`);
      expect(e.message).toContain('maxmemory');
      expect((e.cause as Error).name).toBe('ReplyError');
      expect((e.cause as Error).message).toMatch(/^OOM /);
      // adds of one tick travel in one script call: each caller gets its own typed error
      const batch = await Promise.allSettled([queue.add('a', 1), queue.add('b', 2), queue.add('c', 3)]);
      const reasons = batch.map((r) => (r.status === 'rejected' ? r.reason : r.value));
      for (const reason of reasons) expect(reason).toBeInstanceOf(RedisOutOfMemoryError);
      expect(new Set(reasons).size).toBe(3);
    });
    expect(await t.admin.xlen(`${prefix}:{oom}:stream`)).toBe(1);
  });

  it('addBulk crossing maxmemory: AddBulkError says exactly which jobs were added, and only those are in Redis', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('bulk-oom');
    await queue.waitUntilReady();
    const used = Number(/used_memory:(\d+)/.exec(await t.admin.info('memory'))![1]);
    const pad = 'x'.repeat(2000);
    const jobs = Array.from({ length: 2000 }, (_, i) => ({ name: 'n', data: { i, pad } }));
    await withMaxmemory(used + 1_500_000, async () => {
      const err = await failure(() => queue.addBulk(jobs));
      expect(err).toBeInstanceOf(AddBulkError);
      const e = err as AddBulkError;
      expect(e.cause).toBeInstanceOf(RedisOutOfMemoryError);
      expect(((e.cause as SluiceError).cause as Error).message).toMatch(/^OOM /);
      // some went in, the rest was refused before anything of its chunk was written
      expect(e.added.length).toBeGreaterThan(0);
      expect(e.notAdded.length).toBeGreaterThan(0);
      expect(e.unknown).toEqual([]);
      expect(e.added.length + e.notAdded.length).toBe(jobs.length);
      expect(e.message).toContain(`${e.added.length} of 2000 jobs were added`);
      // exactly the added jobs are in Redis: by id, and by the input index in their data
      const entries = await t.admin.xrange(`${prefix}:{bulk-oom}:stream`, '-', '+');
      expect(entries.map(([id]) => id)).toEqual(e.added.map((job) => job.id));
      const stored = entries.map(([, fields]) => (JSON.parse(fields[fields.indexOf('d') + 1]!) as { i: number }).i);
      expect(stored).toEqual(e.added.map((job) => (job.data as { i: number }).i));
      const notAdded = new Set(e.notAdded);
      expect(stored).toEqual(jobs.map((_, i) => i).filter((i) => !notAdded.has(i)));
    });
  });

  it('addBulk into a full queue: QueueFullError lists the jobs added and the indexes not added', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('full', { maxLength: 100 });
    const err = await failure(() => queue.addBulk(Array.from({ length: 400 }, (_, i) => ({ name: 'n', data: i }))));
    expect(err).toBeInstanceOf(QueueFullError);
    const e = err as QueueFullError;
    expect(e.added.map((job) => job.data)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(e.notAdded).toEqual(Array.from({ length: 300 }, (_, i) => 100 + i));
    expect(await t.admin.xlen(`${prefix}:{full}:stream`)).toBe(100);
  });

  it('a read-only replica: add() rejects with RedisReadOnlyError; nothing written', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('readonly');
    await queue.waitUntilReady();
    await t.admin.call('REPLICAOF', '127.0.0.1', String(await freePort()));
    try {
      const err = await failure(() => queue.add('n', 1));
      expect(err).toBeInstanceOf(RedisReadOnlyError);
      expect((err as SluiceError).code).toBe('REDIS_READONLY');
      expect(((err as SluiceError).cause as Error).message).toMatch(/^READONLY /);
    } finally {
      await t.admin.call('REPLICAOF', 'NO', 'ONE');
    }
    // only the registry entry its waitUntilReady() wrote before Redis became a replica
    expect(await t.admin.keys(`${prefix}:*`)).toEqual([`${prefix}:queues`]);
  });

  it('any other error reply: RedisCommandError with the reply code', async () => {
    t.newPrefix();
    const queue = t.queue('wrongtype');
    await t.admin.hset(queue.keys.dedup('d'), 'not', 'a string');
    const err = await failure(() => queue.getDeduplicationJobId('d'));
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).code).toBe('REDIS_COMMAND');
    expect((err as RedisCommandError).redisCode).toBe('WRONGTYPE');
    expect(((err as SluiceError).cause as Error).name).toBe('ReplyError');
  });
});

describe('addBulk whose reply is lost', () => {
  const t = useRedis();

  it('reports the chunks it sent as unknown (they were in fact written)', async () => {
    const prefix = t.newPrefix();
    const proxy = await startProxy(t.redis.port);
    const queue = new Queue('lost', { connection: failFast(proxy.url), prefix, logger: quietLogger });
    try {
      await queue.add('first', 0);
      proxy.dropReplies();
      const pending = failure(() => queue.addBulk(Array.from({ length: 300 }, (_, i) => ({ name: 'n', data: i }))));
      const stream = `${prefix}:{lost}:stream`;
      await waitFor(async () => (await t.admin.xlen(stream)) === 301, 5000, 'the bulk written in Redis');
      await proxy.close(); // and reconnects are refused
      const err = await pending;
      expect(err).toBeInstanceOf(AddBulkError);
      const e = err as AddBulkError;
      expect(e.added).toEqual([]);
      expect(e.notAdded).toEqual([]);
      expect(e.unknown).toEqual(Array.from({ length: 300 }, (_, i) => i));
      expect(e.cause).toBeInstanceOf(RedisUnavailableError);
    } finally {
      await queue.close();
    }
  });
});
