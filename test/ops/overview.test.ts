// The queue overview (src/ops/overview.ts): what the dashboard and `sluice stats` show per
// group, read in bounded work, on a plain and a partitioned queue.
import { describe, expect, it } from 'vitest';
import { queueOverview } from '../../src/ops/overview.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const t = useRedis();

describe('queue overview', () => {
  it('shows counts, lag, the oldest unread age, pause, a limit holding starts back, room and schedulers', async () => {
    t.newPrefix();
    const q = t.queue<number>('orders', { maxLength: 100 });
    await q.createGroup('billing', { from: 'start' });
    await q.createGroup('mail', { from: 'start' });
    await q.setRateLimit({ max: 2, duration: 60_000 }, { group: 'billing' });
    await q.pause({ group: 'mail' });
    await q.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'o', data: i })));
    await q.add('later', 9, { delay: 60_000 });
    await q.upsertScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'n' });
    const started: string[] = [];
    t.worker('orders', async (job) => void started.push(job.id), { group: 'billing' });
    await waitFor(() => started.length === 2, 10_000, 'two starts');

    const o = await queueOverview(q);
    expect(o.name).toBe('orders');
    expect(o.partitions).toBe(1);
    expect(o.groups.map((g) => g.name)).toEqual(['billing', 'mail']);
    const [billing, mail] = o.groups;
    expect(billing!.counts.waiting).toBe(3);
    expect(billing!.rateLimit).toEqual({ max: 2, duration: 60_000 });
    expect(billing!.limited.now).toBe(true);
    expect(billing!.limited.until! - o.readAt).toBeGreaterThan(50_000);
    expect(billing!.consumers).toBe(1);
    expect(mail!.paused).toBe(true);
    expect(mail!.lag).toEqual({ unread: 5, exact: true });
    expect(mail!.oldestUnreadAgeMs).toBeGreaterThanOrEqual(0);
    expect(mail!.limited).toEqual({ now: false, until: null });
    expect(o.maxLength).toBe(100);
    // the add script's count: the busiest group (mail: 5 waiting) and the delayed job
    expect(o.room).toBe(100 - 5 - 1);
    expect(o.schedulers.count).toBe(1);
    expect(o.schedulers.next?.key).toBe('nightly');
  });

  it('sums a partitioned queue over its partitions', async () => {
    t.newPrefix();
    const q = t.queue<number>('orders', { partitions: 3 });
    await q.addBulk(Array.from({ length: 9 }, (_, i) => ({ name: 'o', data: i })));
    const o = await queueOverview(q);
    expect(o.partitions).toBe(3);
    expect(o.groups).toHaveLength(1);
    expect(o.groups[0]!.counts.waiting).toBe(9);
    expect(o.groups[0]!.lag.unread).toBe(9);
    expect(o.groups[0]!.oldestUnreadAgeMs).not.toBeNull();
    expect(o.maxLength).toBeNull();
    expect(o.room).toBeNull();
  });
});
