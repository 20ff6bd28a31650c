// The newer QueueEvents events (docs/events.md), against a real Redis with real workers:
// waiting (on add, when a delayed job or a retry comes due), drained (once per transition),
// paused and resumed, deduplicated, cleaned.
import { describe, expect, it } from 'vitest';
import { QueueEvents } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

describe('more queue events', () => {
  const t = useRedis();
  const events = async (name: string, group?: string) => {
    const e = t.track(
      new QueueEvents(name, { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs: 500, ...(group ? { group } : {}) }),
    );
    await e.waitUntilReady();
    return e;
  };

  it('waiting: for an add without delay (not a delayed one), then when the delayed job comes due', async () => {
    const queue = t.queue('w');
    const ev = await events('w');
    const waiting: string[] = [];
    ev.on('waiting', ({ jobId }) => waiting.push(jobId));
    const delayedEvent = waitForEvent<[{ jobId: string }]>(ev, 'delayed');
    const [now, later] = await queue.addBulk([
      { name: 'now', data: 1 },
      { name: 'later', data: 2, opts: { delay: 300 } },
    ]);
    await delayedEvent;
    await waitFor(() => waiting.length >= 1, 5000, 'the first waiting event');
    expect(waiting).toEqual([now!.id]);
    // a worker's lease promotes the delayed job when it is due
    const dueEvent = waitForEvent<[{ jobId: string }]>(ev, 'waiting', 5000, (a) => a.jobId === later!.id);
    t.worker('w', async () => 'ok');
    await dueEvent;
    expect(waiting).toEqual([now!.id, later!.id]);
  });

  it('waiting: when promoteJobs() or job.promote() makes a delayed job due now', async () => {
    const queue = t.queue('pr');
    const ev = await events('pr');
    const [a, b] = await queue.addBulk([
      { name: 'a', data: 1, opts: { delay: 60_000 } },
      { name: 'b', data: 2, opts: { delay: 60_000 } },
    ]);
    const first = waitForEvent<[{ jobId: string }]>(ev, 'waiting', 5000, (x) => x.jobId === a!.id);
    await a!.promote();
    await first;
    const second = waitForEvent<[{ jobId: string }]>(ev, 'waiting', 5000, (x) => x.jobId === b!.id);
    expect(await queue.promoteJobs()).toBe(1);
    await second;
  });

  it('waiting: a retry without backoff at once, one with backoff when it comes due', async () => {
    const queue = t.queue('r');
    const ev = await events('r');
    const seen: string[] = [];
    for (const name of ['waiting', 'retrying', 'completed'] as const) ev.on(name, ({ jobId }) => seen.push(`${name}:${jobId}`));
    t.worker('r', async (job) => {
      if (job.attemptsMade < 2) throw new Error('again');
      return 'ok';
    });
    const done = waitForEvent(ev, 'completed');
    const job = await queue.add('x', null, { jobId: 'job-r', attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    await done;
    expect(seen).toEqual([
      `waiting:${job.id}`,
      `retrying:${job.id}`,
      `waiting:${job.id}`,
      `retrying:${job.id}`,
      `waiting:${job.id}`,
      `completed:${job.id}`,
    ]);
  });

  it('drained: once when the group runs out of waiting jobs, again only after more were leased', async () => {
    const queue = t.queue('d');
    const ev = await events('d');
    const order: string[] = [];
    ev.on('completed', ({ jobId }) => order.push(`completed:${jobId}`));
    ev.on('drained', ({ group }) => order.push(`drained:${group}`));
    ev.on('paused', () => order.push('paused'));
    const drained = () => order.filter((e) => e.startsWith('drained'));
    await queue.addBulk([1, 2, 3].map((n) => ({ name: 'n', data: n, opts: { jobId: `j${n}` } })));
    t.worker('d', async () => 'ok', { concurrency: 1, prefetch: 0, blockMs: 100 });
    await waitFor(() => order.filter((e) => e.startsWith('completed')).length === 3 && drained().length === 1, 10_000, 'jobs, drained');
    // idle leases (a second worker, block timeouts) announce nothing more; a new job does
    const idle = t.worker('d', async () => 'ok', { blockMs: 100 });
    await idle.waitUntilReady();
    const done = waitForEvent(ev, 'completed');
    await queue.add('again', 4, { jobId: 'j4' });
    await done;
    await waitFor(() => drained().length === 2, 10_000, 'drained again');
    // a barrier: every event written before the pause has been delivered by then
    await queue.pause();
    await waitFor(() => order.includes('paused'), 5000, 'the paused event');
    expect(drained()).toEqual(['drained:default', 'drained:default']);
  });

  it('paused and resumed, for the group that changed; a repeated pause says nothing', async () => {
    const queue = t.queue('p');
    await queue.createGroup('audit');
    const ev = await events('p');
    const audit = await events('p', 'audit');
    const seen: string[] = [];
    ev.on('paused', ({ group }) => seen.push(`paused:${group}`));
    ev.on('resumed', ({ group }) => seen.push(`resumed:${group}`));
    const auditSeen: string[] = [];
    audit.on('paused', ({ group }) => auditSeen.push(`paused:${group}`));
    await queue.pause();
    await queue.pause();
    await queue.resume();
    await queue.pause({ group: 'audit' });
    await waitFor(() => seen.length === 2 && auditSeen.length === 1, 5000, 'pause events');
    expect(seen).toEqual(['paused:default', 'resumed:default']);
    expect(auditSeen).toEqual(['paused:audit']);
  });

  it('deduplicated: an add that hit a held deduplication id names the holder', async () => {
    const queue = t.queue('dd');
    const ev = await events('dd');
    const first = await queue.add('x', 1, { deduplication: { id: 'once' } });
    const hit = waitForEvent<[{ jobId: string; deduplicationId: string }]>(ev, 'deduplicated');
    const second = await queue.add('x', 2, { deduplication: { id: 'once' } });
    expect(second.id).toBe(first.id);
    const [args] = await hit;
    expect(args).toEqual({ jobId: first.id, deduplicationId: 'once' });
  });

  it('cleaned: one event per clean call with the count it deleted', async () => {
    const queue = t.queue('c');
    const ev = await events('c');
    const worker = t.worker('c', async () => 'ok');
    const done = collectEvents(worker, 'completed', 5);
    await queue.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'n', data: n })));
    await done;
    // clean(0) takes the jobs finished before now, to the millisecond: Redis time must be past the last finish
    const finished = await t.admin.zrange(queue.keys.group('default').completed, 0, -1, 'WITHSCORES');
    const lastFinish = Math.max(...finished.filter((_, i) => i % 2 === 1).map(Number));
    const redisMs = async () => {
      const [seconds, micros] = await t.admin.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    };
    await waitFor(async () => (await redisMs()) > lastFinish, 1000, 'Redis time past the last finish');
    const cleaned = waitForEvent<[{ group: string; count: number }]>(ev, 'cleaned');
    expect(await queue.clean(0, 3)).toHaveLength(3);
    expect((await cleaned)[0]).toEqual({ group: 'default', count: 3 });
    const again = waitForEvent<[{ group: string; count: number }]>(ev, 'cleaned');
    expect(await queue.clean(0, 0)).toHaveLength(2);
    expect((await again)[0]).toEqual({ group: 'default', count: 2 });
  });
});
