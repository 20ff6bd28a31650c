// The event stream is bounded in bytes (invariant 7, docs/invariants.md): return values and progress travel
// in events only up to 1 KiB (larger ones are read from the job's record), failure reasons,
// stack traces and log lines are cut with a visible marker, and old events are trimmed by age.
import { afterAll, describe, expect, it } from 'vitest';
import { JobFailedError, QueueEvents, ResultNotKeptError } from '../../src/index.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts } from '../../src/redis/scripts.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

const big = (n: number) => 'x'.repeat(n);
const marker = (bytes: number) => ` …[truncated, ${bytes} bytes]`;

describe('bounded events', () => {
  const t = useRedis();
  const open: QueueEvents[] = [];
  afterAll(async () => {
    await Promise.all(open.map((e) => e.close()));
  });
  const events = async (name: string) => {
    const e = new QueueEvents(name, { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs: 500 });
    open.push(e);
    await e.waitUntilReady();
    return e;
  };
  const entries = async (key: string) =>
    (await t.admin.xrange(key, '-', '+')).map(([id, f]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i < f.length; i += 2) fields[f[i]!] = f[i + 1]!;
      return { id, fields };
    });
  const redisNow = async () => {
    const [s, us] = await t.admin.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };

  it('2,000 results of 10 KB with removeOnComplete leave the events stream under 512 KiB', async () => {
    t.newPrefix();
    const queue = t.queue<number, string>('heavy', { defaultJobOptions: { removeOnComplete: true } });
    await queue.addBulk(Array.from({ length: 2000 }, (_, i) => ({ name: 'j', data: i })));
    const worker = t.worker<number, string>('heavy', async () => big(10_000), { concurrency: 100 });
    let done = 0;
    worker.on('completed', () => done++);
    await waitFor(() => done >= 2000, 60_000, '2,000 completions');
    const bytes = Number(await t.admin.call('MEMORY', 'USAGE', queue.keys.events, 'SAMPLES', '0'));
    // before: about 21 MB (every result copied into the events)
    expect(bytes).toBeLessThan(512 * 1024);
    const completed = (await entries(queue.keys.events)).filter((e) => e.fields.e === 'completed');
    expect(completed.reduce((n, e) => n + e.fields.j!.split(' ').length, 0)).toBe(2000);
  }, 90_000);

  it(
    'kept jobs: QueueEvents, waitUntilFinished and queue.call deliver small and large results; ' + 'the event carries no large copy',
    async () => {
      t.newPrefix();
      const queue = t.queue<number, unknown>('kept');
      const ev = await events('kept');
      const result = (n: number) => (n > 100 ? { blob: big(n) } : { n });
      t.worker<number, unknown>('kept', async (job) => result(job.data));
      const seen = collectEvents<{ jobId: string; returnvalue: unknown }>(ev, 'completed', 2);
      const small = await queue.add('s', 5);
      const large = await queue.add('l', 10_000);
      expect(await small.waitUntilFinished(ev, 10_000)).toEqual(result(5));
      expect(await large.waitUntilFinished(ev, 10_000)).toEqual(result(10_000));
      const byId = new Map((await seen).map((e) => [e.jobId, e.returnvalue]));
      expect(byId.get(small.id)).toEqual(result(5));
      expect(byId.get(large.id)).toEqual(result(10_000));
      expect(await queue.call('l', 20_000, { timeout: 10_000 })).toEqual(result(20_000));
      expect(await queue.call('s', 7, { timeout: 10_000 })).toEqual(result(7));
      for (const e of await entries(queue.keys.events)) {
        expect(Object.values(e.fields).join('').length).toBeLessThan(2048);
      }
    },
  );

  it(
    'jobs removed on completion: small results arrive; ' + 'a large one is flagged as not kept and waiters get ResultNotKeptError',
    async () => {
      t.newPrefix();
      const queue = t.queue<number, unknown>('gone', { defaultJobOptions: { removeOnComplete: true } });
      const ev = await events('gone');
      const seen = collectEvents<{ jobId: string; returnvalue: unknown; returnvalueNotKept?: true }>(ev, 'completed', 2);
      const small = await queue.add('s', 5);
      const large = await queue.add('l', 10_000);
      // waiting before any worker runs, so the waits meet the events and not a finished record
      const smallWait = small.waitUntilFinished(ev, 10_000);
      const largeWait = large.waitUntilFinished(ev, 10_000);
      largeWait.catch(() => undefined);
      const worker = t.worker<number, unknown>('gone', async (job) => (job.data > 100 ? big(job.data) : job.data * 2));
      expect(await smallWait).toBe(10);
      const err = await largeWait.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ResultNotKeptError);
      expect((err as ResultNotKeptError).code).toBe('RESULT_NOT_KEPT');
      expect((err as ResultNotKeptError).jobId).toBe(large.id);
      const byId = new Map((await seen).map((e) => [e.jobId, e]));
      expect(byId.get(small.id)).toEqual({ jobId: small.id, returnvalue: 10 });
      expect(byId.get(large.id)).toEqual({ jobId: large.id, returnvalue: undefined, returnvalueNotKept: true });

      // queue.call: the same, once the job is added before the worker can take it
      await worker.close();
      const call = queue.call('l', 5000, { timeout: 10_000 });
      call.catch(() => undefined);
      await waitFor(async () => (await queue.getJobCounts()).waiting === 1, 5000, 'the call job added');
      t.worker<number, unknown>('gone', async (job) => big(job.data));
      await expect(call).rejects.toBeInstanceOf(ResultNotKeptError);
    },
  );

  it('one ack batch carries at most 8 KiB of values inline; the rest are read from the records', async () => {
    t.newPrefix();
    const queue = t.queue('batch');
    const ev = await events('batch');
    registerScripts(t.admin);
    const scripts = new Scripts(t.admin, queue.keys);
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'j', data: i })));
    const config = JSON.stringify({ leaseMs: 30_000, maxStalls: 1, keepFailed: [-1, -1] });
    const { jobs } = await scripts.lease('default', 'c', 'n1', 20, config);
    expect(jobs).toHaveLength(20);
    const value = (i: number) => JSON.stringify({ i, pad: big(900) });
    const seen = collectEvents<{ jobId: string; returnvalue: unknown }>(ev, 'completed', 20);
    await scripts.complete(
      'default',
      'c',
      'n2',
      0,
      config,
      jobs.map((j, i) => ({ id: j.id, token: j.token, returnvalue: value(i), keep: [-1, -1] })),
    );
    const [entry] = (await entries(queue.keys.events)).filter((e) => e.fields.e === 'completed');
    expect(entry!.fields.j!.split(' ')).toHaveLength(20);
    expect(entry!.fields.r!.length).toBeLessThanOrEqual(8192 + 40);
    const byId = new Map((await seen).map((e) => [e.jobId, e.returnvalue]));
    jobs.forEach((j, i) => {
      expect(byId.get(j.id)).toEqual(JSON.parse(value(i)));
    });
  });

  it('progress over 1 KiB is left out of the event and read from the record', async () => {
    t.newPrefix();
    const queue = t.queue('prog');
    const ev = await events('prog');
    const seen = collectEvents<{ jobId: string; data: unknown }>(ev, 'progress', 2);
    t.worker('prog', async (job) => {
      await job.updateProgress({ step: 1 });
      await job.updateProgress({ step: 2, detail: big(5000) });
      return 1;
    });
    await queue.add('p', 1);
    expect((await seen).map((e) => e.data)).toEqual([{ step: 1 }, { step: 2, detail: big(5000) }]);
    const progress = (await entries(queue.keys.events)).filter((e) => e.fields.e === 'progress');
    expect(progress[0]!.fields.p).toBe('{"step":1}');
    expect(progress[1]!.fields.p).toBeUndefined();
    expect(progress[1]!.fields.o).toBe('0');
  });

  it('failure reasons are cut to 2 KiB with a marker, in the record, in events and in JobFailedError; stacks too', async () => {
    t.newPrefix();
    const queue = t.queue<string>('reasons');
    const ev = await events('reasons');
    const reason = big(100_000);
    t.worker<string>(
      'reasons',
      async (job) => {
        throw new Error(job.data === 'euro' ? '€'.repeat(5000) : reason);
      },
      { allowErrors: true },
    );
    const retrying = waitForEvent<[{ failedReason: string }]>(ev, 'retrying', 10_000);
    const failed = waitForEvent<[{ jobId: string; failedReason: string }]>(ev, 'failed', 10_000);
    const job = await queue.add('f', 'x', { attempts: 2 });
    const waited = await job.waitUntilFinished(ev, 10_000).then(
      () => undefined,
      (e: unknown) => e,
    );

    const capped = reason.slice(0, 2048 - Buffer.byteLength(marker(100_000))) + marker(100_000);
    expect(Buffer.byteLength(capped)).toBe(2048);
    expect((await retrying)[0].failedReason).toBe(capped);
    expect((await failed)[0].failedReason).toBe(capped);
    expect(waited).toBeInstanceOf(JobFailedError);
    expect((waited as JobFailedError).failedReason).toBe(capped);
    const stored = (await queue.getJob(job.id))!;
    expect(stored.failedReason).toBe(capped);
    expect(Buffer.byteLength(JSON.stringify(stored.stacktrace))).toBeLessThan(16 * 1024);
    expect(stored.stacktrace[0]).toContain('…[truncated, ');

    // multi-byte text is cut on a character boundary
    const euro = await queue.add('f', 'euro');
    await expect(euro.waitUntilFinished(ev, 10_000)).rejects.toBeInstanceOf(JobFailedError);
    const euroReason = (await queue.getJob(euro.id))!.failedReason!;
    expect(Buffer.byteLength(euroReason)).toBeLessThanOrEqual(2048);
    expect(euroReason).toMatch(/^(€)+ …\[truncated, 15000 bytes\]$/);
  });

  it('log lines are cut to 4 KiB with a marker', async () => {
    t.newPrefix();
    const queue = t.queue('logs');
    const worker = t.worker('logs', async (job) => {
      await job.log('short line');
      await job.log(big(10_000));
      return 1;
    });
    const job = await queue.add('l', 1);
    await waitForEvent(worker, 'completed', 10_000);
    const lines = await t.admin.lrange(queue.keys.group('default').logs(job.id), 0, -1);
    expect(lines[0]).toBe('short line');
    expect(Buffer.byteLength(lines[1]!)).toBe(4096);
    expect(lines[1]!.endsWith(marker(10_000))).toBe(true);
  });

  it('events older than the age limit (default 24 h) are trimmed, in Redis time', async () => {
    t.newPrefix();
    const queue = t.queue('aged');
    const key = queue.keys.events;
    // planted entries from 1970: far older than a day
    for (let i = 1; i <= 300; i++) await t.admin.xadd(key, `${i}-0`, 'e', 'removed', 'j', `old${i}`);
    // the age trim runs on about one append in 32 (by the entry id's ms): add until one has
    await addUntil(queue, async () => (await entries(key)).filter((e) => e.fields.j!.startsWith('old')).length < 100);
    const left = await entries(key);
    // XTRIM MINID ~ drops whole stream nodes: at most the node shared with newer entries stays
    expect(left.filter((e) => e.fields.j!.startsWith('old')).length).toBeLessThan(100);
    expect(left.some((e) => e.fields.e === 'added')).toBe(true);
  });

  it('the Queue option events.maxAgeMs sets the age limit in Redis', async () => {
    t.newPrefix();
    const queue = t.queue('agedopt', { events: { maxLen: 500, maxAgeMs: 60_000 } });
    await queue.add('first', 1);
    expect(await t.admin.hmget(queue.keys.meta, 'eventsMaxLen', 'eventsMaxAgeMs')).toEqual(['500', '60000']);
  });

  it('meta eventsMaxAgeMs sets the age limit (0: none); newer events stay', async () => {
    t.newPrefix();
    const queue = t.queue('aged2');
    const key = queue.keys.events;
    await queue.add('first', 1); // writes the queue's meta
    await t.admin.del(key);
    await t.admin.hset(queue.keys.meta, 'eventsMaxAgeMs', 60_000);
    const now = await redisNow();
    for (let i = 0; i < 300; i++) await t.admin.xadd(key, `${now - 120_000}-${i}`, 'e', 'removed', 'j', `old${i}`);
    for (let i = 0; i < 50; i++) await t.admin.xadd(key, `${now - 10_000}-${i}`, 'e', 'removed', 'j', `recent${i}`);
    await addUntil(queue, async () => (await entries(key)).filter((e) => e.fields.j!.startsWith('old')).length < 100);
    let left = await entries(key);
    expect(left.filter((e) => e.fields.j!.startsWith('old')).length).toBeLessThan(100);
    expect(left.filter((e) => e.fields.j!.startsWith('recent'))).toHaveLength(50);

    await t.admin.del(key);
    await t.admin.hset(queue.keys.meta, 'eventsMaxAgeMs', 0);
    for (let i = 1; i <= 300; i++) await t.admin.xadd(key, `${i}-0`, 'e', 'removed', 'j', `old${i}`);
    // more appends than it takes to trim with an age limit (over 100 ms of adds)
    const started = Date.now();
    while (Date.now() - started < 150) await queue.add('again', 1);
    left = await entries(key);
    expect(left.filter((e) => e.fields.j!.startsWith('old'))).toHaveLength(300);
  });
});

/** Adds jobs one call at a time until `done` (at most 5 s of adds). */
async function addUntil(queue: { add(name: string, data: unknown): Promise<unknown> }, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the age trim never ran');
    await queue.add('now', 1);
  }
}

describe('moveToFailed and progress: the move first, every read before the first write', () => {
  const t = useRedis();
  const config = JSON.stringify({ leaseMs: 30_000, maxStalls: 1, keepFailed: [-1, -1] });
  const leaseOne = async (name: string) => {
    const queue = t.queue(name);
    registerScripts(t.admin);
    const scripts = new Scripts(t.admin, queue.keys);
    await queue.add('j', 1, { jobId: 'j1' });
    const { jobs } = await scripts.lease('default', 'c', 'n1', 1, config);
    expect(jobs.map((j) => j.id)).toEqual(['j1']);
    return { queue, scripts, token: jobs[0]!.token };
  };

  it('a final failure whose event cannot be written still leaves the job in the failed set', async () => {
    t.newPrefix();
    const { queue, scripts, token } = await leaseOne('dead');
    // the event append aborts the script (a key of the wrong type stands in for a key that
    // migrated away in a Cluster): everything before it stays, nothing after it happens
    await t.admin.del(queue.keys.events);
    await t.admin.set(queue.keys.events, 'not a stream');
    const outcome = { retry: false, delayMs: 0, reason: 'boom', stack: '[]', keep: [-1, -1] as [number, number] };
    await expect(scripts.fail('default', 'j1', token, outcome)).rejects.toThrow(/WRONGTYPE/);
    const g = queue.keys.group('default');
    expect(await t.admin.zscore(g.failed, 'j1')).not.toBeNull();
    expect(await t.admin.hmget(g.job('j1'), 's', 'fr', 'tk')).toEqual(['failed', 'boom', '']);
  });

  it('progress reads the settings before it writes: an abort on them changes nothing', async () => {
    t.newPrefix();
    const { queue, scripts, token } = await leaseOne('prog-reads');
    await t.admin.del(queue.keys.meta);
    await t.admin.set(queue.keys.meta, 'not a hash');
    await expect(scripts.progress('default', 'j1', token, '{"step":1}')).rejects.toThrow(/WRONGTYPE/);
    expect(await t.admin.hget(queue.keys.group('default').job('j1'), 'pg')).toBeNull();
  });
});
