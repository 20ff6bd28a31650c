// Queue events (README "Events and request/reply"): a capped stream written by the scripts themselves, read by
// QueueEvents, resumed after reconnects without loss or repeats; waitUntilFinished and
// Queue.call (request/reply) on top of it.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobFailedError, QueueEvents, UnrecoverableError, WaitTimeoutError } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('queue events', () => {
  const t = useRedis();
  let admin: Redis;
  const open: QueueEvents[] = [];
  beforeAll(() => {
    admin = new Redis(t.url);
  });
  afterAll(async () => {
    await Promise.all(open.map((e) => e.close()));
    admin.disconnect();
  });
  const events = (name: string, blockMs = 500) => {
    const e = new QueueEvents(name, { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs });
    open.push(e);
    return e;
  };

  it('delivers each job lifecycle in order: added, active, progress, retrying, completed / failed, removed', async () => {
    const queue = t.queue<number>('life');
    const ev = events('life');
    await ev.waitUntilReady();
    const seen: string[] = [];
    for (const name of ['added', 'active', 'progress', 'retrying', 'completed', 'failed', 'removed'] as const) {
      ev.on(name, ({ jobId }) => seen.push(`${name}:${jobId}`));
    }
    t.worker<number>('life', async (job) => {
      await job.updateProgress(50);
      if (job.data === 2 && job.attemptsMade === 0) throw new Error('once');
      if (job.data === 3) throw new UnrecoverableError('never');
      return job.data * 10;
    });
    const a = await queue.add('a', 1, { jobId: 'job-a' });
    await queue.add('b', 2, { jobId: 'job-b', attempts: 2 });
    await queue.add('c', 3, { jobId: 'job-c' });
    await waitFor(
      () => seen.includes('completed:job-a') && seen.includes('completed:job-b') && seen.includes('failed:job-c'),
      10_000,
      'all settled',
    );
    await a.remove();
    await waitFor(() => seen.includes('removed:job-a'), 5000, 'removed');
    const of = (id: string) => seen.filter((s) => s.endsWith(`:${id}`)).map((s) => s.split(':')[0]);
    expect(of('job-a')).toEqual(['added', 'active', 'progress', 'completed', 'removed']);
    expect(of('job-b')).toEqual(['added', 'active', 'progress', 'retrying', 'active', 'progress', 'completed']);
    expect(of('job-c')).toEqual(['added', 'active', 'progress', 'failed']);
  });

  it('a reader whose connection is killed resumes after its last event: none lost, none repeated', async () => {
    t.newPrefix();
    const queue = t.queue<number>('resume');
    const ev = events('resume', 200);
    await ev.waitUntilReady();
    const completed: string[] = [];
    ev.on('completed', ({ jobId }) => completed.push(jobId));
    t.worker<number>('resume', async (job) => job.data, { concurrency: 20 });
    const total = 2000;
    const adding = (async () => {
      for (let i = 0; i < total; i += 100) await queue.addBulk(Array.from({ length: 100 }, (_, n) => ({ name: 'n', data: i + n })));
    })();
    for (let kill = 0; kill < 3; kill++) {
      await waitFor(() => completed.length > (kill + 1) * 300, 20_000, 'progress between kills');
      const list = String(await admin.call('CLIENT', 'LIST'));
      for (const line of list.split('\n').filter((l) => l.includes('name=sluice:events:resume'))) {
        await admin.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
      }
    }
    await adding;
    await waitFor(() => completed.length >= total, 30_000, 'every completion seen');
    expect(completed.length).toBe(total);
    expect(new Set(completed).size).toBe(total);
  });

  it('waitUntilFinished: the return value, the failure, and a job that finished before the wait', async () => {
    t.newPrefix();
    const queue = t.queue<number, number>('wait');
    const ev = events('wait');
    t.worker<number, number>('wait', async (job) => {
      if (job.data < 0) throw new UnrecoverableError('negative');
      return job.data * 2;
    });
    const ok = await queue.add('ok', 21);
    expect(await ok.waitUntilFinished(ev, 10_000)).toBe(42);
    const bad = await queue.add('bad', -1);
    await expect(bad.waitUntilFinished(ev, 10_000)).rejects.toBeInstanceOf(JobFailedError);
    // already finished: found through its record
    expect(await ok.waitUntilFinished(ev, 1000)).toBe(42);
  });

  it('queue.call: 1,000 parallel calls each get their own result; a timeout leaves nothing behind', async () => {
    t.newPrefix();
    const queue = t.queue<{ n: number }, number>('rpc');
    t.worker<{ n: number }, number>('rpc', async (job) => job.data.n * job.data.n, { concurrency: 50 });
    const results = await Promise.all(Array.from({ length: 1000 }, (_, n) => queue.call('square', { n }, { timeout: 30_000 })));
    expect(results).toEqual(Array.from({ length: 1000 }, (_, n) => n * n));
    const slowQueue = t.queue<number, number>('rpc-none');
    await expect(slowQueue.call('nobody-listens', 1, { timeout: 200 })).rejects.toBeInstanceOf(WaitTimeoutError);
    const callEvents = (
      slowQueue as unknown as { replies: { readers: Map<string, { waiters: Map<string, unknown> }> } }
    ).replies.readers.get('default')!;
    expect(callEvents.waiters.size).toBe(0);
  });

  it('events: { maxLen: 0 } turns the event stream off', async () => {
    t.newPrefix();
    const queue = t.queue('quiet', { events: { maxLen: 0 } });
    await queue.add('x', 1);
    expect(await admin.exists(queue.keys.events)).toBe(0);
    expect(await admin.exists(queue.keys.stream)).toBe(1);
  });
});
