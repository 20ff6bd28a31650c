// Regressions found by the fuzz pass (chaos/fuzz): bad arguments that escaped as raw
// TypeErrors or Redis errors instead of typed ones, and ids and names with lone surrogates that
// Redis (UTF-8) gave back changed.
import { describe, expect, it } from 'vitest';
import { InvalidIdError, InvalidOptionError, JobNotFoundError, QueueEvents, Worker, Queue, type JobsOptions } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitForEvent } from '../helpers/wait.js';

describe('fuzz regressions', () => {
  const t = useRedis();

  // regression: building the error message threw (JSON.stringify of a BigInt, a Symbol in a template)
  it('a BigInt or Symbol where a name or option belongs gets a typed error, not a TypeError', async () => {
    t.newPrefix();
    const queue = t.queue('typed');
    expect(() => new Queue(10n as never, { connection: t.url, logger: quietLogger })).toThrow(InvalidIdError);
    expect(() => new Queue('q', { connection: t.url, prefix: 1n as never, logger: quietLogger })).toThrow(InvalidOptionError);
    expect(() => new Worker('q', async () => null, { connection: t.url, group: 2n as never, logger: quietLogger })).toThrow(InvalidIdError);
    expect(() => new QueueEvents('q', { connection: t.url, from: Symbol('x') as never, logger: quietLogger })).toThrow(InvalidOptionError);
    const badOpts: unknown[] = [
      { delay: Symbol('d') },
      { attempts: Symbol('a') },
      { orderingKey: 4n },
      { deduplication: { id: 5n } },
      { ttl: [Symbol('t')] },
      { releaseKeyOnRetry: [Symbol('r')] },
      // an array passed as { count, age } was taken, and its BigInt broke JSON.stringify later
      { removeOnFail: [true, -1n] },
      { removeOnComplete: [1, 2] },
    ];
    for (const opts of badOpts) {
      await expect(queue.add('x', null, opts as JobsOptions)).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await expect(queue.add(6n as never, null)).rejects.toBeInstanceOf(InvalidIdError);
    await expect(queue.add('x', null, { jobId: 3n as never })).rejects.toBeInstanceOf(InvalidIdError);
    await expect(queue.upsertScheduler('s', { every: 1000, tz: Symbol('tz') as never }, { name: 'x' })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(queue.getDeduplicationJobId(Symbol('dd') as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.remove(Symbol('id') as never)).rejects.toBeInstanceOf(JobNotFoundError);
    // a fraction reached ZRANGE ... LIMIT in the clean script: a Redis error
    await expect(queue.clean(0, 1.5)).rejects.toBeInstanceOf(InvalidOptionError);
    expect((await queue.explain([Symbol('e')] as never)).reason).toBe('not-found');
  });

  // regression: a lone surrogate became U+FFFD in Redis, so the job came back under another id or name
  // regression: a block or grace time past 2^31 - 1 ms made Node fire its timers at once: the
  // worker reset its connection every millisecond and ran nothing
  it('a block, grace or flush time longer than a day is refused; a day is taken', async () => {
    t.newPrefix();
    const huge = 2 ** 31;
    const opts = { connection: t.url, logger: quietLogger, autorun: false };
    expect(() => new Worker('q', async () => null, { ...opts, blockMs: huge })).toThrow(InvalidOptionError);
    expect(() => new Worker('q', async () => null, { ...opts, watchdogGraceMs: huge })).toThrow(InvalidOptionError);
    expect(() => new Worker('q', async () => null, { ...opts, metrics: { flushMs: huge } })).toThrow(InvalidOptionError);
    expect(() => new QueueEvents('q', { connection: t.url, logger: quietLogger, blockMs: huge })).toThrow(InvalidOptionError);
    const worker = t.worker('day', async (job) => job.data, { blockMs: 86_400_000, watchdogGraceMs: 86_400_000 });
    const done = waitForEvent(worker, 'completed');
    await t.queue('day').add('j', 1);
    await done;
  });

  it('ids, names and option strings with a lone surrogate are refused; well-formed non-ASCII round-trips', async () => {
    t.newPrefix();
    const queue = t.queue<unknown, unknown>('surrogates');
    for (const jobId of ['id-\ud800', 'id-\udc00x', 'id-\udfff\udbff']) {
      await expect(queue.add('x', null, { jobId })).rejects.toBeInstanceOf(InvalidIdError);
    }
    await expect(queue.add('name-\ud800', null)).rejects.toBeInstanceOf(InvalidIdError);
    await expect(queue.add('x', null, { orderingKey: 'k-\udc00' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.add('x', null, { deduplication: { id: 'd-\ud800' } })).rejects.toBeInstanceOf(InvalidOptionError);
    // a custom backoff name passed validation, and Lua's cjson refused its escaped lone surrogate
    await expect(queue.add('x', null, { attempts: 2, backoff: { type: 'mine-\ud800' } })).rejects.toBeInstanceOf(InvalidOptionError);
    expect((await queue.getJobCounts()).waiting).toBe(0);
    // data keeps lone surrogates (JSON escapes them), and well-formed ids and names pass unchanged
    const job = await queue.add('名前-🙂', { s: 'a\ud800b' }, { jobId: 'id-日本-🙂' });
    expect(job.id).toBe('id-日本-🙂');
    const worker = t.worker<unknown, unknown>('surrogates', async (j) => [j.id, j.name, j.data]);
    const [done, result] = await waitForEvent<[{ id: string }, unknown]>(worker, 'completed');
    expect(done.id).toBe('id-日本-🙂');
    expect(result).toEqual(['id-日本-🙂', '名前-🙂', { s: 'a\ud800b' }]);
  });
});
