// Regressions found reviewing fan-out groups and flow control: each was reproduced against
// Redis before its fix.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, QueueFullError } from '../src/index.js';
import { useRedis } from './helpers/setup.js';
import { waitFor } from './helpers/wait.js';

describe('review regressions: groups and flow control', () => {
  const t = useRedis();

  it('drain gives back the key slot of an ordered job waiting for its retry: the key does not stick', async () => {
    t.newPrefix();
    const queue = t.queue<string>('drain-key');
    const ran: string[] = [];
    const worker = t.worker<string>('drain-key', async (job) => {
      ran.push(job.data);
      if (job.data === 'a') throw new Error('retry later');
    }, { blockMs: 300 });
    await queue.add('n', 'a', { orderingKey: 'k', attempts: 2, backoff: 60_000 });
    await queue.add('n', 'b', { orderingKey: 'k' });
    await waitFor(async () => (await queue.getJobCounts()).delayed === 1, 5000, 'a waits for its retry');
    expect(await queue.drain(true)).toBe(2);
    await queue.add('n', 'c', { orderingKey: 'k' });
    await waitFor(() => ran.includes('c'), 5000, 'the key runs again');
    await worker.close();
    expect(await t.admin.hgetall(queue.keys.group('default').keyState)).toEqual({ '#waiting': '0' });
  });

  it('jobs added before any group stay the default group\'s when another group is created first', async () => {
    t.newPrefix();
    const queue = t.queue<number>('implicit');
    await queue.addBulk(Array.from({ length: 150 }, (_, i) => ({ name: 'n', data: i })));
    await queue.createGroup('audit');
    await queue.addBulk(Array.from({ length: 150 }, (_, i) => ({ name: 'n', data: 150 + i })));
    const audit: number[] = [];
    const plain: number[] = [];
    t.worker<number>('implicit', async (job) => void audit.push(job.data), { group: 'audit', blockMs: 300 });
    await waitFor(() => audit.length === 150, 5000, 'audit reads its 150');
    t.worker<number>('implicit', async (job) => void plain.push(job.data), { blockMs: 300 });
    await waitFor(() => plain.length === 300, 5000, 'the default group gets all 300');
    expect(audit[0]).toBe(150);
  });

  it('draining a group that does not exist does not subscribe it', async () => {
    t.newPrefix();
    const queue = t.queue('no-sub');
    await queue.createGroup('billing');
    await queue.add('n', 1);
    expect(await queue.drain(false, { group: 'typo' })).toBe(0);
    expect((await queue.getGroups()).map((g) => g.name)).toEqual(['billing']);
  });

  it('without a default group, a removed group does not keep published records (or their ids) forever', async () => {
    t.newPrefix();
    const queue = t.queue<string>('pend');
    await queue.createGroup('billing');
    await queue.createGroup('email');
    await queue.add('n', 'first', { jobId: 'order-1' });
    t.worker<string>('pend', async (job) => job.data, { group: 'billing', blockMs: 300 });
    await waitFor(async () => (await queue.getJobCounts({ group: 'billing' })).completed === 1, 5000, 'billing done');
    await queue.removeGroup('email');
    expect(await t.admin.exists(queue.keys.job('order-1'))).toBe(0);
    // the id is still billing's while billing keeps the job; once gone there, it is free again
    await queue.remove('order-1', { group: 'billing' });
    const again = await queue.add('n', 'second', { jobId: 'order-1' });
    expect(again.data).toBe('second');
    await waitFor(async () => (await queue.getJobCounts({ group: 'billing' })).completed === 1, 5000, 'billing runs it again');
  });

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
