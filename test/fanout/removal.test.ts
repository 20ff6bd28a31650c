// remove(id, { group }) in a fan-out queue: a job the group has not received yet is removed for
// that group (other groups that have not received it either still get it); a job no group has
// received yet (a delayed job, an entry nobody read) is the queue's and leaves the queue.
import { describe, expect, it } from 'vitest';
import { JobNotFoundError } from '../../src/index.js';
import { scriptsFor } from '../helpers/counting.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('remove() of a job a group has not received yet', () => {
  const t = useRedis();

  /** Runs a worker of `group` that records the ids it processes. */
  function recorder(queue: string, group: string): string[] {
    const ran: string[] = [];
    t.worker(queue, async (job) => void ran.push(job.id), { group, blockMs: 500 });
    return ran;
  }

  it('a plain job read by one group only is removed for the group that has not read it', async () => {
    const queue = t.queue('plain');
    for (const g of ['billing', 'email', 'audit']) await queue.createGroup(g);
    const job = await queue.add('order', { n: 1 });
    const billed = recorder('plain', 'billing');
    await waitFor(() => billed.includes(job.id), 10_000, 'billing to run it');
    await queue.remove(job.id, { group: 'email' });
    await expect(queue.remove(job.id, { group: 'email' })).rejects.toBeInstanceOf(JobNotFoundError);
    const marker = await queue.add('marker', { n: 2 });
    const emailed = recorder('plain', 'email');
    const audited = recorder('plain', 'audit');
    await waitFor(() => emailed.includes(marker.id) && audited.includes(marker.id), 10_000, 'both groups to reach the marker');
    expect(emailed).toEqual([marker.id]);
    expect(audited).toEqual([job.id, marker.id]);
  });

  it('a job with its own id read by one group is removed for the other, and its published record goes', async () => {
    const queue = t.queue('own');
    const { keys } = scriptsFor(t.admin, t.prefix, 'own');
    for (const g of ['billing', 'email']) await queue.createGroup(g);
    const job = await queue.add('order', { n: 1 }, { jobId: 'order-1' });
    const billed = recorder('own', 'billing');
    await waitFor(() => billed.includes('order-1'), 10_000, 'billing to run it');
    expect(await t.admin.exists(keys.job('order-1'))).toBe(1);
    await queue.remove(job.id, { group: 'email' });
    // email gave up its share: nothing waits for it any more
    expect(await t.admin.exists(keys.job('order-1'))).toBe(0);
    const marker = await queue.add('marker', { n: 2 });
    const emailed = recorder('own', 'email');
    await waitFor(() => emailed.includes(marker.id), 10_000, 'email to reach the marker');
    expect(emailed).toEqual([marker.id]);
  });

  it('a delayed job, or one no group has read, leaves the queue whichever group removes it', async () => {
    const queue = t.queue('queue-wide');
    const { keys } = scriptsFor(t.admin, t.prefix, 'queue-wide');
    for (const g of ['billing', 'email']) await queue.createGroup(g);
    const delayed = await queue.add('later', 1, { delay: 600_000 });
    const unread = await queue.add('now', 2, { jobId: 'own-2' });
    await queue.remove(delayed.id, { group: 'email' });
    await queue.remove(unread.id, { group: 'billing' });
    expect(await t.admin.zcard(keys.delayed)).toBe(0);
    expect(await t.admin.exists(keys.job(delayed.id), keys.job('own-2'))).toBe(0);
    expect(await t.admin.xlen(keys.stream)).toBe(0);
  });
});
