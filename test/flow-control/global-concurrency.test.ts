// A group-wide cap on running jobs (queue.setGlobalConcurrency): enforced by the lease script
// across workers, raised at run time, removed; a freed slot wakes an idle worker.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('setGlobalConcurrency', () => {
  const t = useRedis();

  it('three workers of concurrency 5 run at most 2 jobs at once; raised to 6, more run; removed, no cap', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number }>('capped');
    await queue.setGlobalConcurrency(2);
    expect(await queue.getGlobalConcurrency()).toBe(2);
    let running = 0;
    let max = 0;
    const done: Job[] = [];
    let gate: Promise<void> = Promise.resolve();
    const processor = async () => {
      running++;
      max = Math.max(max, running);
      await new Promise((r) => setTimeout(r, 15)); // the job's own work
      await gate;
      running--;
      return 'ok';
    };
    for (let w = 0; w < 3; w++) t.worker('capped', processor, { concurrency: 5 }).on('completed', (j) => done.push(j));
    await queue.addBulk(Array.from({ length: 60 }, (_, i) => ({ name: 'job', data: { i } })));
    await waitFor(() => done.length === 60, 20_000, 'every job done under the cap');
    expect(max).toBe(2);

    // raised while jobs wait: more run at once, never more than the new cap
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    max = 0;
    await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'job', data: { i } })));
    await waitFor(() => running === 2, 5000, 'two jobs held at the gate');
    await queue.setGlobalConcurrency(6);
    await waitFor(() => running === 6, 5000, 'six jobs held once the cap is 6');
    open();
    await waitFor(() => done.length === 90, 20_000, 'every job done under the raised cap');
    expect(max).toBe(6);

    await queue.removeGlobalConcurrency();
    expect(await queue.getGlobalConcurrency()).toBeUndefined();
    gate = new Promise<void>((r) => (open = r));
    max = 0;
    await queue.addBulk(Array.from({ length: 30 }, (_, i) => ({ name: 'job', data: { i } })));
    await waitFor(() => running === 15, 5000, 'every slot of every worker busy without a cap');
    open();
    await waitFor(() => done.length === 120, 20_000, 'every job done');
  }, 60_000);

  it('refuses a cap that is not an integer >= 1', async () => {
    t.newPrefix();
    const queue = t.queue('bad-cap');
    await expect(queue.setGlobalConcurrency(0)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.setGlobalConcurrency(1.5)).rejects.toBeInstanceOf(InvalidOptionError);
  });
});
