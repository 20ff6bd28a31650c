import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitForEvent } from '../helpers/wait.js';

describe('queue and worker basics', () => {
  const t = useRedis();

  it('processes a job and stores its result', async () => {
    const queue = t.queue<{ n: number }, number>('basic');
    const job = await queue.add('double', { n: 21 });
    expect(job.id).toMatch(/^\d+-\d+$/); // a plain job is identified by its stream entry
    expect(await job.getState()).toBe('waiting');
    const worker = t.worker<{ n: number }, number>('basic', async (j) => j.data.n * 2);
    const [done, result] = await waitForEvent(worker, 'completed');
    expect((done as { id: string }).id).toBe(job.id);
    expect(result).toBe(42);
    const stored = await queue.getJob(job.id);
    expect(stored?.returnvalue).toBe(42);
    expect(stored?.deliveries).toBe(1);
    expect(await stored?.getState()).toBe('completed');
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 1, failed: 0 });
  });

  it('waitUntilReady resolves once the worker consumes, and rejects after close', async () => {
    t.newPrefix();
    const worker = t.worker('ready', async () => 1);
    await worker.waitUntilReady();
    expect(worker.health().state).toBe('running');
    await worker.close();
    await expect(worker.waitUntilReady()).rejects.toThrow(/worker/);
  });

  it('processes many jobs in order with concurrency', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('many');
    await queue.addBulk(Array.from({ length: 500 }, (_, i) => ({ name: 'n', data: { i } })));
    expect((await queue.getJobCounts()).waiting).toBe(500);
    const worker = t.worker<{ i: number }>('many', async (j) => j.data.i, { concurrency: 10 });
    const done = await collectEvents<{ data: { i: number } }>(worker, 'completed', 500);
    expect(new Set(done.map((j) => j.data.i)).size).toBe(500);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, completed: 500 });
  });
});

describe('plain jobs waiting as stream entries', () => {
  const t = useRedis();

  it('are visible, removable and processed like any job before their first lease', async () => {
    const queue = t.queue<{ n: number }>('plain');
    const keep = await queue.add('keep', { n: 1 });
    const drop = await queue.add('drop', { n: 2 });
    // no record yet: the stream entry is the job
    expect(await queue.getJob(keep.id)).toMatchObject({ id: keep.id, name: 'keep', data: { n: 1 }, attemptsMade: 0 });
    expect(await keep.getState()).toBe('waiting');
    expect((await queue.getJobs('waiting')).map((j) => j.id)).toEqual([keep.id, drop.id]);
    await queue.remove(drop.id);
    expect(await queue.getJob(drop.id)).toBeUndefined();
    expect(await drop.getState()).toBe('unknown');
    const worker = t.worker<{ n: number }>('plain', async (j) => j.data.n);
    const [done] = await waitForEvent<[{ id: string }]>(worker, 'completed');
    expect(done.id).toBe(keep.id);
    const stored = await queue.getJob(keep.id);
    expect(stored).toMatchObject({ name: 'keep', data: { n: 1 }, returnvalue: 1, deliveries: 1 });
    expect(stored!.timestamp).toBe(keep.timestamp);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, completed: 1 });
    // removing it again (now finished, with a record) works through the record
    await queue.remove(keep.id);
    expect(await queue.getJob(keep.id)).toBeUndefined();
  });
});
