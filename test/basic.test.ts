import { describe, expect, it } from 'vitest';
import { useRedis } from './helpers/setup.js';
import { collectEvents, waitForEvent } from './helpers/wait.js';

describe('queue and worker basics', () => {
  const t = useRedis();

  it('processes a job and stores its result', async () => {
    const queue = t.queue<{ n: number }, number>('basic');
    const job = await queue.add('double', { n: 21 });
    expect(job.id).toBe('1');
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
