// Fan-out across processes: three groups, each with workers in their own processes, every one
// of 10,000 jobs processed by every group; a crash in one group leaves the others untouched.
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

describe('fan-out groups in separate processes', () => {
  const t = useRedis();

  it('3 groups × 10,000 jobs: each group processes every job; a killed email worker does not touch billing or analytics', async () => {
    const queue = t.queue('orders', { events: { maxLen: 0 } });
    const groups = ['billing', 'email', 'analytics'];
    for (const g of groups) await queue.createGroup(g);
    const env = { REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'orders', CONCURRENCY: 50, LEASE_MS: 1000, JOB_MS: 1, BLOCK_MS: 500 };
    // billing and analytics must see each job once: a lease long enough that a loaded machine's
    // stalls do not run one out (the email worker keeps the short one: its jobs come back soon)
    const billing = startWorkerProcess({ ...env, GROUP: 'billing', LEASE_MS: 10_000 });
    const analytics = startWorkerProcess({ ...env, GROUP: 'analytics', LEASE_MS: 10_000 });
    const emailA = startWorkerProcess({ ...env, GROUP: 'email', TAG: 'A' });
    const total = 10_000;
    for (let i = 0; i < total; i += 1000) {
      await queue.addBulk(
        Array.from({ length: 1000 }, (_, n) => ({ name: 'order', data: { n: i + n }, opts: { removeOnComplete: { count: total } } })),
      );
    }
    // the email worker dies mid-run
    await emailA.until('start', 2000, 30_000);
    emailA.kill('SIGKILL');
    const emailB = startWorkerProcess({ ...env, GROUP: 'email', TAG: 'B' });

    for (const g of groups) {
      await waitFor(async () => (await queue.getJobCounts({ group: g })).completed === total, 60_000, `group ${g} completes every job`);
    }
    for (const g of groups) {
      expect(await queue.getJobCounts({ group: g })).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: total });
    }
    // billing and analytics: every job exactly once, none redelivered
    for (const p of [billing, analytics]) {
      const starts = p.messages.filter((m) => m.t === 'start');
      expect(starts).toHaveLength(total);
      expect(new Set(starts.map((m) => m.id)).size).toBe(total);
      expect(starts.every((m) => m.deliveries === 1)).toBe(true);
      expect(p.count('stalled')).toBe(0);
    }
    // email: together its two workers covered every job; those A held were delivered again
    const emailStarts = [...emailA.messages, ...emailB.messages].filter((m) => m.t === 'start');
    expect(new Set(emailStarts.map((m) => m.id)).size).toBe(total);
    expect(emailB.messages.some((m) => m.t === 'start' && (m.deliveries ?? 0) >= 2)).toBe(true);
    // the record of a job is the group's own: same job, separate state
    const sample = emailStarts[0]!.id;
    for (const g of groups) expect((await queue.getJob(sample, { group: g }))?.group).toBe(g);
  }, 120_000);
});
