// The Bull Board adapter through Bull Board itself: a real board (express, free port) over sluice
// queues on a real Redis, driven through Bull Board's HTTP API, with every effect read back
// from sluice: counts and job lists, a job's data and logs, retry, promote, clean, pause,
// empty, add, per-group adapters, and the refusals for what sluice has no equivalent of.
import { afterEach, describe, expect, it } from 'vitest';
import { SluiceAdapter } from '../../src/bull-board/index.js';
import type { Queue } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { listQueues, startBoard, type Board } from './board.js';

describe('sluice/bull-board through Bull Board', () => {
  const t = useRedis();
  let board: Board | undefined;
  afterEach(async () => {
    await board?.close();
    board = undefined;
  });

  async function boardOf(...adapters: SluiceAdapter[]): Promise<Board> {
    board = await startBoard(adapters);
    return board;
  }

  /** Runs the queue's waiting jobs with `processor` until `settled` jobs completed or failed, then stops the worker. */
  async function work<D>(queue: Queue<D>, processor: Parameters<typeof t.worker<D>>[1], settled: number): Promise<void> {
    const worker = t.worker<D>(queue.name, processor);
    await waitFor(async () => {
      const c = await queue.getJobCounts();
      return c.completed + c.failed === settled;
    });
    await worker.close();
  }

  it('lists the queue with the counts sluice has, and shows a job with its data, error and logs', async () => {
    const queue = t.queue<{ n: number }>('orders');
    await queue.add('charge', { n: 1 });
    await queue.add('charge', { n: 2 });
    await queue.add('later', { n: 3 }, { delay: 3_600_000 });
    await work(
      queue,
      async (job) => {
        await job.log(`charging ${job.data.n}`);
        if (job.data.n === 2) throw new Error('card declined');
        return { ok: true };
      },
      2,
    );
    await queue.add('charge', { n: 4 });
    const b = await boardOf(new SluiceAdapter(queue));

    const [listed] = await listQueues(b);
    const counts = await queue.getJobCounts();
    expect(listed!.name).toBe('orders');
    expect(listed!.statuses).toEqual(['latest', 'active', 'waiting', 'waiting-children', 'delayed', 'completed', 'failed']);
    expect(listed!.counts).toEqual({ active: 0, waiting: 1, 'waiting-children': 0, delayed: 1, completed: 1, failed: 1 });
    expect(listed!.counts).toMatchObject({ waiting: counts.waiting, delayed: counts.delayed, failed: counts.failed });
    expect(listed!.isPaused).toBe(false);

    const [withFailed] = await listQueues(b, 'orders', 'failed');
    expect(withFailed!.jobs).toHaveLength(1);
    const failed = withFailed!.jobs[0]!;
    expect(failed).toMatchObject({ name: 'charge', data: { n: 2 }, failedReason: 'card declined', isFailed: true });
    expect(failed.stacktrace).toHaveLength(1);
    expect(failed.stacktrace[0]).toMatch(/^Error: card declined\n\s+at /);

    const [latest] = await listQueues(b, 'orders', 'latest');
    expect(latest!.jobs.map((j) => (j.data as { n: number }).n).sort()).toEqual([1, 2, 3, 4]);

    const one = await b.api('GET', `/queues/orders/${failed.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ status: 'failed', job: { id: failed.id, data: { n: 2 }, attempts: 1 } });
    const logs = await b.api('GET', `/queues/orders/${failed.id}/logs`);
    expect(logs).toEqual({ status: 200, body: ['charging 2'] });
    expect((await b.api('GET', '/queues/orders/no-such-job')).status).toBe(404);

    const stats = await b.api('GET', '/redis/stats');
    expect(stats.status).toBe(200);
    expect((stats.body as { version: string }).version).toBe((await t.admin.info('server')).match(/redis_version:(\S+)/)![1]);
  });

  it('retries a failed job (one, and all), promotes delayed ones: sluice sees them waiting', async () => {
    const queue = t.queue<{ n: number }>('retries');
    for (const n of [1, 2, 3]) await queue.add('boom', { n });
    await work(
      queue,
      async () => {
        throw new Error('boom');
      },
      3,
    );
    const [first, ...rest] = await queue.getJobs('failed');
    const b = await boardOf(new SluiceAdapter(queue));

    expect(await b.api('PUT', `/queues/retries/${first!.id}/retry`)).toMatchObject({ status: 204 });
    expect(await (await queue.getJob(first!.id))!.getState()).toBe('waiting');
    // a job not in a retriable state is refused by Bull Board from the state sluice reports
    expect((await b.api('PUT', `/queues/retries/${first!.id}/retry`)).status).toBe(400);

    expect(await b.api('PUT', '/queues/retries/retry/failed')).toEqual({ status: 200, body: { retried: 2, skipped: 0 } });
    for (const job of rest) expect(await (await queue.getJob(job.id))!.getState()).toBe('waiting');
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 3, failed: 0 });

    const d1 = await queue.add('later', { n: 4 }, { delay: 3_600_000 });
    await queue.add('later', { n: 5 }, { delay: 3_600_000 });
    expect(await b.api('PUT', `/queues/retries/${d1.id}/promote`)).toMatchObject({ status: 204 });
    expect(await (await queue.getJob(d1.id))!.getState()).toBe('waiting');
    // promoting a job that is not delayed is a bad request, not a server fault
    expect((await b.api('PUT', `/queues/retries/${d1.id}/promote`)).status).toBe(400);
    expect((await b.api('PUT', '/queues/retries/promote')).status).toBe(200);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 5, delayed: 0 });
  });

  it('cleans finished jobs past the grace time, removes one job, empties the waiting ones', async () => {
    const queue = t.queue<{ n: number }>('cleaning');
    for (const n of [1, 2, 3]) await queue.add('ok', { n });
    await work(queue, async () => 'done', 3);
    const adapter = new SluiceAdapter(queue);
    const b = await boardOf(adapter);

    // Bull Board cleans with a 5 s grace: jobs finished just now stay
    expect((await b.api('PUT', '/queues/cleaning/clean/completed')).status).toBe(200);
    expect((await queue.getJobCounts()).completed).toBe(3);
    await adapter.clean('completed', 0);
    expect((await queue.getJobCounts()).completed).toBe(0);

    const a = await queue.add('waiting', { n: 4 });
    await queue.add('waiting', { n: 5 });
    await queue.add('waiting', { n: 6 });
    expect(await b.api('PUT', `/queues/cleaning/${a.id}/clean`)).toMatchObject({ status: 204 });
    expect(await queue.getJob(a.id)).toBeUndefined();
    // waiting and delayed jobs: by the time they were added
    await queue.add('later', { n: 7 }, { delay: 3_600_000 });
    await adapter.clean('delayed', 60_000);
    expect((await queue.getJobCounts()).delayed).toBe(1);
    await adapter.clean('delayed', 0);
    expect((await queue.getJobCounts()).delayed).toBe(0);

    expect(await queue.getJobs('waiting')).toHaveLength(2);
    expect((await b.api('PUT', '/queues/cleaning/empty')).status).toBe(200);
    // (the waiting count may still include the removed stream entry until a worker reads past it: JobCounts)
    expect(await queue.getJobs('waiting')).toEqual([]);
    expect((await listQueues(b, 'cleaning', 'waiting'))[0]!.jobs).toEqual([]);

    const active = await b.api('PUT', '/queues/cleaning/clean/active');
    expect(active.status).toBe(400);
    expect(JSON.stringify(active.body)).toMatch(/sluice cannot clean active jobs/);
  });

  it('pauses and resumes the group, adds a job, and refuses what sluice cannot do with a reason', async () => {
    const queue = t.queue<{ n: number }>('control');
    const b = await boardOf(new SluiceAdapter(queue));

    expect((await b.api('PUT', '/queues/control/pause')).status).toBe(200);
    expect(await queue.isPaused()).toBe(true);
    expect((await listQueues(b))[0]!.isPaused).toBe(true);
    expect((await b.api('PUT', '/queues/control/resume')).status).toBe(200);
    expect(await queue.isPaused()).toBe(false);

    const added = await b.api('POST', '/queues/control/add', { name: 'from-board', data: { n: 9 }, options: { attempts: 2 } });
    expect(added).toMatchObject({ status: 200, body: { status: 'waiting', job: { name: 'from-board', data: { n: 9 } } } });
    const id = (added.body as { job: { id: string } }).job.id;
    const job = await queue.getJob(id);
    expect(job).toMatchObject({ name: 'from-board', data: { n: 9 }, opts: { attempts: 2 } });

    // a plain waiting job leaves its stream entry (which cannot be rewritten) with its new data
    const edit = await b.api('PATCH', `/queues/control/${id}/update-data`, { jobData: { n: 10 } });
    expect(edit.status).toBe(200);
    expect((await queue.getJob(id))!.data).toEqual({ n: 10 });
    // and one with a record
    const own = await queue.add('own-id', { n: 1 }, { jobId: 'with-record' });
    expect((await b.api('PATCH', `/queues/control/${own.id}/update-data`, { jobData: { n: 2 } })).status).toBe(200);
    expect((await queue.getJob(own.id))!.data).toEqual({ n: 2 });
    expect((await b.api('PUT', '/queues/control/concurrency', { concurrency: 3 })).status).toBe(200);
    expect(await queue.getGlobalConcurrency()).toBe(3);

    expect((await b.api('PUT', '/queues/control/rate-limit', { max: 5, duration: 1000 })).status).toBe(200);
    expect(await queue.getRateLimit()).toEqual({ max: 5, duration: 1000 });
  });

  it("shows the workers' per-minute counts and the live workers", async () => {
    const queue = t.queue<{ n: number }>('metered');
    const b = await boardOf(new SluiceAdapter(queue));
    await queue.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'm', data: { n: i } })));
    const worker = t.worker<{ n: number }>(
      'metered',
      async (job) => {
        if (job.data.n === 0) throw new Error('no');
      },
      { name: 'board-worker', metrics: { flushMs: 100 } },
    );
    await waitFor(async () => (await queue.getMetrics('completed')).meta.total === 5, 10_000, 'the counts flushed');
    const metrics = (await b.api('GET', '/queues/metered/metrics')).body as Record<string, { data: number[]; meta: { count: number } }>;
    expect(metrics.completed!.meta.count).toBe(5);
    expect(metrics.completed!.data[0]).toBe(5);
    expect(metrics.failed!.meta.count).toBe(1);
    const workers = (await b.api('GET', '/queues/metered/workers')).body as { workers: { name: string; addr: string }[] };
    expect(workers.workers.map((w) => w.name)).toEqual(['board-worker']);
    expect(workers.workers[0]!.addr).toMatch(/:\d+$/);
    await worker.close();
  });

  it("lists, edits, runs and removes the queue's schedulers", async () => {
    const queue = t.queue<{ x: number }>('sched');
    await queue.upsertScheduler('hourly', { every: 3_600_000, skipMissed: true }, { name: 'tick', data: { x: 1 }, opts: { attempts: 2 } });
    const b = await boardOf(new SluiceAdapter(queue));

    const list = await b.api('GET', '/job-schedulers?queueName=sched');
    expect(list.status).toBe(200);
    expect((list.body as { schedulers: unknown[] }).schedulers).toEqual([
      expect.objectContaining({
        id: 'hourly',
        queueName: 'sched',
        name: 'tick',
        every: 3_600_000,
        template: { data: { x: 1 }, opts: { attempts: 2 } },
      }),
    ]);
    expect((await listQueues(b))[0]).toMatchObject({ jobSchedulerCount: 1 });

    expect((await b.api('PATCH', '/queues/sched/job-schedulers/hourly', { every: 60_000 })).status).toBe(204);
    expect(await queue.getScheduler('hourly')).toMatchObject({
      repeat: { every: 60_000, skipMissed: true },
      name: 'tick',
      data: { x: 1 },
      opts: { attempts: 2 },
    });
    expect((await b.api('PATCH', '/queues/sched/job-schedulers/hourly', { pattern: 'not a cron' })).status).toBe(400);
    expect((await queue.getScheduler('hourly'))!.repeat).toEqual({ every: 60_000, skipMissed: true });
    expect((await b.api('PATCH', '/queues/sched/job-schedulers/nope', { every: 60_000 })).status).toBe(404);

    const ran = await b.api('PUT', '/queues/sched/job-schedulers/hourly/run');
    expect(ran).toMatchObject({ status: 200, body: { job: { name: 'tick', data: { x: 1 } } } });
    const job = await queue.getJob((ran.body as { job: { id: string } }).job.id);
    expect(await job!.getState()).toBe('waiting');

    expect((await b.api('PUT', '/queues/sched/job-schedulers/hourly/remove')).status).toBe(204);
    expect(await queue.getScheduler('hourly')).toBeUndefined();
    expect((await b.api('PUT', '/queues/sched/job-schedulers/hourly/remove')).status).toBe(404);
  });

  it("changes a delayed job's due time", async () => {
    const queue = t.queue<{ n: number }>('delays');
    const a = await queue.add('a', { n: 1 }, { delay: 3_600_000 });
    const later = await queue.add('b', { n: 2 }, { delay: 7_200_000 });
    const b = await boardOf(new SluiceAdapter(queue));
    expect((await queue.getJobs('delayed')).map((j) => j.id)).toEqual([a.id, later.id]);

    const moved = await b.api('PATCH', `/queues/delays/${a.id}/delay`, { runAt: Date.now() + 3 * 3_600_000 });
    expect(moved.status).toBe(200);
    // delayed jobs are listed soonest first: a now runs after b
    expect((await queue.getJobs('delayed')).map((j) => j.id)).toEqual([later.id, a.id]);
    // a job that is not delayed is refused by Bull Board from the state sluice reports
    const now = await queue.add('c', { n: 3 });
    expect((await b.api('PATCH', `/queues/delays/${now.id}/delay`, { runAt: Date.now() })).status).toBe(400);
    expect((await b.api('PATCH', `/queues/delays/${now.id}/priority`, { priority: 3 })).status).toBe(400);
  });

  it('shows each consumer group as its own queue', async () => {
    const queue = t.queue<{ n: number }>('fan');
    await queue.createGroup('audit');
    await queue.add('a', { n: 1 });
    await queue.add('b', { n: 2 });
    await work(queue, async () => 'done', 2); // the default group only
    const b = await boardOf(new SluiceAdapter(queue), new SluiceAdapter(queue, { group: 'audit' }));

    const listed = await listQueues(b);
    expect(listed.map((q) => q.name)).toEqual(['fan', 'fan:audit']);
    expect(listed[0]!.counts).toMatchObject({ waiting: 0, completed: 2 });
    expect(listed[1]!.counts).toMatchObject({ waiting: 2, completed: 0 });

    expect((await b.api('PUT', `/queues/${encodeURIComponent('fan:audit')}/pause`)).status).toBe(200);
    expect(await queue.isPaused({ group: 'audit' })).toBe(true);
    expect(await queue.isPaused()).toBe(false);
    const refused = await b.api('PUT', `/queues/${encodeURIComponent('fan:audit')}/obliterate`, {});
    expect(refused.status).toBe(400);
    expect((await queue.getJobCounts({ group: 'audit' })).waiting).toBe(2);
  });
});
