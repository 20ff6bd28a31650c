// Backpressure (maxLength, QueueFullError, waiting for room) and pause across processes.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, QueueFullError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { redisNow, useRawClients } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

describe('backpressure', () => {
  const t = useRedis();

  it('maxLength refuses adds beyond it with QueueFullError; addBulk adds what fits', async () => {
    const queue = t.queue<number>('bounded', { maxLength: 100 });
    await queue.add('n', -1, { jobId: 'kept' });
    const bulk = await queue.addBulk(Array.from({ length: 150 }, (_, i) => ({ name: 'n', data: i }))).catch((e: unknown) => e);
    expect(bulk).toBeInstanceOf(QueueFullError);
    expect((bulk as QueueFullError).added).toHaveLength(99);
    expect((bulk as QueueFullError).maxLength).toBe(100);
    await expect(queue.add('n', 1)).rejects.toBeInstanceOf(QueueFullError);
    await expect(queue.add('n', 1, { delay: 1000 })).rejects.toBeInstanceOf(QueueFullError);
    expect((await queue.getJobCounts()).waiting).toBe(100);
    // an add whose job exists already takes no room: it returns that job
    expect((await queue.add('n', 5, { jobId: 'kept' })).data).toBe(-1);
    await expect(queue.add('n', 1, { wait: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => t.queue('bad', { maxLength: 0 })).toThrow(InvalidOptionError);
  });

  it('concurrent producers never push the queue past maxLength (checked in the enqueue script)', async () => {
    t.newPrefix();
    const queue = t.queue<number>('race', { maxLength: 250 });
    const producers = Array.from({ length: 5 }, () => t.queue<number>('race', { maxLength: 250 }));
    const results = await Promise.allSettled(producers.flatMap((p, n) => Array.from({ length: 100 }, (_, i) => p.add('n', n * 100 + i))));
    const added = results.filter((r) => r.status === 'fulfilled').length;
    const full = results.filter((r) => r.status === 'rejected' && r.reason instanceof QueueFullError).length;
    expect(added).toBe(250);
    expect(full).toBe(250);
    expect((await queue.getJobCounts()).waiting).toBe(250);
  });

  it('add with { wait } blocks until workers make room, and gives up after it', async () => {
    t.newPrefix();
    const queue = t.queue<number>('waits', { maxLength: 20 });
    await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'n', data: i })));
    const started = Date.now();
    await expect(queue.add('n', 99, { wait: 300 })).rejects.toBeInstanceOf(QueueFullError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);

    const waitStarted = Date.now();
    const waiting = queue.add('n', 100, { wait: 10_000 });
    // a worker takes jobs: room appears, and the waiting add goes through at once, long before
    // its deadline (it is woken, it does not wait it out)
    const seen: number[] = [];
    t.worker<number>('waits', async (job: Job<number>) => void seen.push(job.data), { blockMs: 300 });
    const job = await waiting;
    expect(Date.now() - waitStarted).toBeLessThan(3000);
    expect(job.data).toBe(100);
    // a drain makes room too
    await queue.close();
    const drained = t.queue<number>('waits-drain', { maxLength: 5 });
    await drained.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', data: i })));
    const drainStarted = Date.now();
    const afterDrain = drained.add('n', 9, { wait: 10_000 });
    await expect(drained.add('n', 8)).rejects.toBeInstanceOf(QueueFullError);
    await drained.drain();
    expect((await afterDrain).data).toBe(9);
    expect(Date.now() - drainStarted).toBeLessThan(3000);
    // closing the queue ends a wait at once
    const closing = t.queue<number>('waits-drain');
    for (let i = 0; i < 5; i++) await closing.add('n', 1).catch(() => undefined);
    await expect(closing.add('n', 1)).rejects.toBeInstanceOf(QueueFullError);
    const pending = closing.add('n', 1, { wait: 10_000 }).catch((e: unknown) => e);
    // the add is waiting for room (its waiter is registered), then the queue closes
    const room = () => (closing as unknown as { writer: { roomWaiter?: { waiters: Set<unknown> } } }).writer.roomWaiter;
    await waitFor(() => room()?.waiters.size === 1, 5000, 'the add waits for room');
    const closeStarted = Date.now();
    await closing.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(Date.now() - closeStarted).toBeLessThan(2000);
    await waitFor(() => seen.includes(100), 5000, 'the waited-for job runs');
  });

  // regression: retention.maxAgeMs beyond 10 years was accepted, and maxLength did not count ordered and prioritised jobs
  it('retention.maxAgeMs beyond 10 years is refused; maxLength counts ordered and prioritised jobs', async () => {
    t.newPrefix();
    expect(() => t.queue('forever', { retention: { maxAgeMs: Number.MAX_SAFE_INTEGER } })).toThrow(InvalidOptionError);
    const queue = t.queue<number>('full', { maxLength: 3 });
    await queue.add('n', 1, { orderingKey: 'a' });
    await queue.add('n', 2, { priority: 5 });
    await queue.add('n', 3, { orderingKey: 'b' });
    await expect(queue.add('n', 4, { orderingKey: 'c' })).rejects.toBeInstanceOf(QueueFullError);
    await expect(queue.add('n', 5)).rejects.toBeInstanceOf(QueueFullError);
  });
});

describe('pause across processes', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('pause stops starts in every worker process within a lease-extension period; in-flight jobs finish; resume restarts', async () => {
    const queue = t.queue('pausing', { events: { maxLen: 0 } });
    const total = 3000;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'n', data: i })));
    const leaseMs = 900;
    const env = { REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'pausing', CONCURRENCY: 10, JOB_MS: 20, LEASE_MS: leaseMs, BLOCK_MS: 500 };
    const procs = [startWorkerProcess(env), startWorkerProcess(env)];
    await waitFor(() => procs.every((p) => p.count('start') >= 50), 10_000, 'both processes busy');
    const redis = raw();
    await queue.pause();
    const pausedAt = await redisNow(redis);
    const starts = () => procs.flatMap((p) => p.messages.filter((m) => m.t === 'start'));
    // in-flight jobs finish
    await waitFor(async () => (await queue.getJobCounts()).active === 0, 5000, 'in-flight jobs finished');
    const countAtRest = starts().length;
    // nothing leased after the pause (the lease time is Redis time), and nothing starts later
    expect(starts().every((m) => m.at! <= pausedAt)).toBe(true);
    const { waiting } = await queue.getJobCounts();
    expect(waiting).toBeGreaterThan(0);
    // a lease-extension period (a third of the lease) with nothing started
    const quietUntil = Date.now() + leaseMs / 3;
    await waitFor(() => Date.now() >= quietUntil || starts().length > countAtRest, leaseMs, 'the quiet period');
    expect(starts().length).toBe(countAtRest);
    await queue.resume();
    await waitFor(() => procs.reduce((n, p) => n + p.count('done'), 0) === total, 30_000, 'all jobs after resume');
    expect(new Set(starts().map((m) => m.id)).size).toBe(total);
    for (const p of procs) expect(p.count('start')).toBeGreaterThan(0);
  });
});
