// queue.promoteJobs() (docs/job-lifecycle.md, delayed → waiting): delayed jobs and retries waiting out a backoff run now,
// whatever their due time, in bounded batches, and reach idle workers at once. Due times are
// an hour away in these tests and workers block for a minute, so only the promotion (and the
// wake that comes with it) can make a job run within the timeouts.
import { describe, expect, it } from 'vitest';
import { InvalidIdError, InvalidOptionError, UnknownOptionError, type Job } from '../../src/index.js';
import { ADMIN_BATCH } from '../../src/limits.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitForEvent } from '../helpers/wait.js';

const HOUR = 3_600_000;
const IDLE = { blockMs: 60_000 };

describe('queue.promoteJobs()', () => {
  const t = useRedis();

  it('an empty queue promotes nothing and returns 0', async () => {
    const queue = t.queue('empty');
    expect(await queue.promoteJobs()).toBe(0);
    expect(await queue.promoteJobs({ group: 'nobody' })).toBe(0);
  });

  it('more delayed jobs than a batch are promoted and run at once by an idle worker', async () => {
    t.newPrefix();
    const queue = t.queue<number>('many');
    const total = ADMIN_BATCH * 2 + 137;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'later', data: i, opts: { delay: HOUR } })));
    const worker = t.worker<number>('many', async (job) => job.data, { ...IDLE, concurrency: 50 });
    // a first job, so the worker is idle (blocked on its marker) when the promotion comes
    const warm = waitForEvent(worker, 'completed', 5_000);
    await queue.add('warm-up', -1);
    await warm;
    expect((await queue.getJobCounts()).delayed).toBe(total);
    const done = collectEvents<Job<number>>(worker, 'completed', total, 15_000);
    expect(await queue.promoteJobs()).toBe(total);
    expect((await done).map((j) => j.data).sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(await queue.getJobCounts()).toMatchObject({ delayed: 0, waiting: 0, active: 0 });
    expect(await queue.promoteJobs()).toBe(0);
  });

  it('count: only that many, the earliest due first', async () => {
    t.newPrefix();
    const queue = t.queue<number>('count');
    // added latest-due first, so the add order is not the due order
    const jobs = [];
    for (let i = 4; i >= 0; i--) jobs.push(await queue.add('d', i, { delay: HOUR + i * 60_000 }));
    expect(await queue.promoteJobs({ count: 2 })).toBe(2);
    const waiting = await queue.getJobs('waiting');
    expect(waiting.map((j) => j.data).sort()).toEqual([0, 1]);
    expect((await queue.getJobCounts()).delayed).toBe(3);
    expect(await queue.promoteJobs({ count: 10 })).toBe(3);
    expect((await queue.getJobCounts()).delayed).toBe(0);
  });

  it('promoted jobs keep their priority and their ordering key order', async () => {
    t.newPrefix();
    const queue = t.queue<string>('order');
    await queue.add('p', 'p3', { delay: HOUR, priority: 3 });
    await queue.add('p', 'p1', { delay: HOUR + 1000, priority: 1 });
    await queue.add('p', 'p2', { delay: HOUR + 2000, priority: 2 });
    await queue.add('k', 'k0', { orderingKey: 'acct-1' });
    for (const name of ['k1', 'k2', 'k3']) await queue.add('k', name, { delay: HOUR, orderingKey: 'acct-1' });
    expect(await queue.promoteJobs()).toBe(6);
    const ran: string[] = [];
    let running = 0;
    let overlap = false;
    const worker = t.worker<string>(
      'order',
      async (job) => {
        if (job.name === 'k' && ++running > 1) overlap = true;
        ran.push(job.data);
        await new Promise((r) => setImmediate(r));
        if (job.name === 'k') running--;
        return job.data;
      },
      { ...IDLE, concurrency: 4 },
    );
    await collectEvents(worker, 'completed', 7, 10_000);
    expect(ran.filter((d) => d.startsWith('p'))).toEqual(['p1', 'p2', 'p3']);
    expect(ran.filter((d) => d.startsWith('k'))).toEqual(['k0', 'k1', 'k2', 'k3']);
    expect(overlap).toBe(false);
  });

  it('a job waiting out its retry backoff runs again at once', async () => {
    t.newPrefix();
    const queue = t.queue('retry');
    const job = await queue.add('flaky', null, { attempts: 2, backoff: { type: 'fixed', delay: HOUR } });
    let calls = 0;
    const worker = t.worker(
      'retry',
      async () => {
        if (++calls === 1) throw new Error('first attempt fails');
        return 'ok';
      },
      IDLE,
    );
    const [, , willRetry] = await waitForEvent<[Job | undefined, Error, boolean]>(worker, 'failed');
    expect(willRetry).toBe(true);
    expect(await (await queue.getJob(job.id))!.getState()).toBe('delayed');
    expect((await queue.getJobCounts()).delayed).toBe(1);
    const done = waitForEvent<[Job, unknown]>(worker, 'completed', 5_000);
    expect(await queue.promoteJobs()).toBe(1);
    const [finished, result] = await done;
    expect(finished.id).toBe(job.id);
    expect(result).toBe('ok');
    expect(finished.attemptsMade).toBe(1);
  });

  it('fan-out: a promoted delayed job reaches every group; retries are promoted per group', async () => {
    t.newPrefix();
    const queue = t.queue('fan');
    await queue.createGroup('billing');
    await queue.createGroup('email');
    const job = await queue.add('order', { n: 1 }, { delay: HOUR, attempts: 2, backoff: { type: 'fixed', delay: HOUR } });
    let billingCalls = 0;
    const billing = t.worker(
      'fan',
      async () => {
        if (++billingCalls === 1) throw new Error('billing down');
        return 'billed';
      },
      { ...IDLE, group: 'billing' },
    );
    const email = t.worker('fan', async () => 'sent', { ...IDLE, group: 'email' });
    await Promise.all([billing.waitUntilReady(), email.waitUntilReady()]);
    const sent = waitForEvent<[Job]>(email, 'completed', 5_000);
    const billingFailed = waitForEvent(billing, 'failed', 5_000);
    expect(await queue.promoteJobs()).toBe(1);
    expect((await sent)[0].id).toBe(job.id);
    await billingFailed;
    // billing's retry is billing's own: promoting the default group (or email) leaves it
    expect((await queue.getJobCounts({ group: 'billing' })).delayed).toBe(1);
    expect(await queue.promoteJobs()).toBe(0);
    expect(await queue.promoteJobs({ group: 'email' })).toBe(0);
    const billed = waitForEvent<[Job, unknown]>(billing, 'completed', 5_000);
    expect(await queue.promoteJobs({ group: 'billing' })).toBe(1);
    expect((await billed)[1]).toBe('billed');
  });

  it('job.promote() wakes the idle workers of every group too (the shared move)', async () => {
    t.newPrefix();
    const queue = t.queue('one');
    await queue.createGroup('a');
    await queue.createGroup('b');
    const job = await queue.add('x', 1, { delay: HOUR });
    const a = t.worker('one', async () => 'a', { ...IDLE, group: 'a' });
    const b = t.worker('one', async () => 'b', { ...IDLE, group: 'b' });
    // a first job each: its ack's reply carries the lease that finds nothing, so both workers
    // are idle (blocked on their group's marker, holding the hour-away due time) afterwards
    const warm = Promise.all([waitForEvent(a, 'completed', 5_000), waitForEvent(b, 'completed', 5_000)]);
    await queue.add('warm-up', 0);
    await warm;
    const isJob = (done: Job) => done.id === job.id;
    const both = Promise.all([waitForEvent(a, 'completed', 5_000, isJob), waitForEvent(b, 'completed', 5_000, isJob)]);
    await job.promote();
    await both;
  });

  it('stale entries are dropped and malformed records dead-lettered, never run', async () => {
    t.newPrefix();
    const queue = t.queue('odd');
    const good = await queue.add('good', 1, { delay: HOUR });
    // planted by hand: an id without a record, and a record that is not a hash
    await t.admin.zadd(queue.keys.delayed, 1, 'ghost', 2, 'planted');
    await t.admin.set(queue.keys.job('planted'), 'not a hash');
    expect(await queue.promoteJobs()).toBe(1);
    expect(await t.admin.zcard(queue.keys.delayed)).toBe(0);
    expect(await t.admin.zrange(queue.keys.group('default').failed, 0, -1)).toEqual(['planted']);
    expect(await (await queue.getJob(good.id))!.getState()).toBe('waiting');
  });

  it('refuses bad options before touching Redis', async () => {
    const queue = t.queue('opts');
    await expect(queue.promoteJobs({ cuont: 1 } as never)).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(queue.promoteJobs({ count: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.promoteJobs({ group: 'bad group!' })).rejects.toBeInstanceOf(InvalidIdError);
  });

  it('jobs delayed while it runs do not keep it going: it stops at the size it started with', async () => {
    t.newPrefix();
    const queue = t.queue<number>('busy');
    await queue.addBulk(Array.from({ length: ADMIN_BATCH + 10 }, (_, i) => ({ name: 'd', data: i, opts: { delay: HOUR } })));
    // a producer adding delayed jobs all along
    let stop = false;
    const producer = (async () => {
      for (let i = 0; !stop && i < 5_000; i++) await queue.add('d', -i, { delay: HOUR });
    })();
    const promoted = await queue.promoteJobs();
    stop = true;
    await producer;
    // the jobs added meanwhile are due later than the first ones: exactly those were promoted
    expect(promoted).toBe(ADMIN_BATCH + 10);
    expect((await queue.getJobs('waiting', 0, -1)).every((j) => j.data >= 0)).toBe(true);
  });
});
