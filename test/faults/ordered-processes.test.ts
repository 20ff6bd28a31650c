// Ordered keys across processes: 200 keys × 50 jobs, 4 worker processes, random failures with
// retries. Per key, attempts never overlap and jobs start strictly in the order added.
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

describe('ordered keys in separate processes', () => {
  const t = useRedis();

  it('200 keys × 50 jobs, 4 processes, random failures: per key in add order, never overlapping', async () => {
    const queue = t.queue<{ key: string; seq: number }>('ordered', { events: { maxLen: 0 } });
    const keys = 200;
    const perKey = 50;
    const total = keys * perKey;
    const env = {
      REDIS_URL: t.url,
      PREFIX: t.prefix,
      QUEUE: 'ordered',
      CONCURRENCY: 40,
      JOB_MS: 0,
      FAIL_RATE: 0.1,
      LEASE_MS: 5000,
      BLOCK_MS: 500,
    };
    const procs = Array.from({ length: 4 }, () => startWorkerProcess(env));
    const opts = (key: string) => ({
      orderingKey: key,
      attempts: 20,
      backoff: { type: 'fixed' as const, delay: 2 },
      removeOnComplete: { count: total },
    });
    for (let seq = 0; seq < perKey; seq++) {
      await queue.addBulk(Array.from({ length: keys }, (_, k) => ({ name: 'n', data: { key: `key${k}`, seq }, opts: opts(`key${k}`) })));
    }
    await waitFor(async () => (await queue.getJobCounts()).completed === total, 90_000, 'every job completed');
    expect((await queue.getJobCounts()).failed).toBe(0);

    // per key: the attempts in the order they started
    const ends = new Map<string, number[]>();
    for (const p of procs) for (const m of p.messages) if (m.t === 'end') ends.set(m.id, [...(ends.get(m.id) ?? []), m.hr!]);
    for (const list of ends.values()) list.sort((a, b) => a - b); // a job's attempts may have run in different processes
    const attempts = new Map<string, { seq: number; start: number; end: number }[]>();
    const seenEnds = new Map<string, number>();
    const starts = procs.flatMap((p) => p.messages.filter((m) => m.t === 'start')).sort((a, b) => a.hr! - b.hr!);
    for (const m of starts) {
      const data = m.data as { key: string; seq: number };
      const n = seenEnds.get(m.id) ?? 0;
      seenEnds.set(m.id, n + 1);
      const end = ends.get(m.id)![n]!;
      attempts.set(data.key, [...(attempts.get(data.key) ?? []), { seq: data.seq, start: m.hr!, end }]);
    }
    let retried = 0;
    for (const [key, list] of attempts) {
      for (let i = 1; i < list.length; i++) {
        expect(list[i]!.start, `${key}: attempts overlap`).toBeGreaterThanOrEqual(list[i - 1]!.end);
        expect(list[i]!.seq, `${key}: out of order`).toBeGreaterThanOrEqual(list[i - 1]!.seq);
        if (list[i]!.seq === list[i - 1]!.seq) retried++;
      }
      // every job of the key ran, in order
      expect([...new Set(list.map((a) => a.seq))]).toEqual(Array.from({ length: perKey }, (_, i) => i));
    }
    expect(attempts.size).toBe(keys);
    expect(retried).toBeGreaterThan(total * 0.05);
    for (const p of procs) expect(p.count('start')).toBeGreaterThan(0);
  }, 120_000);

  it('fairness across processes: a hot key with 10,000 jobs does not starve 1,000 cold keys', async () => {
    t.newPrefix();
    const queue = t.queue<{ key: string; seq: number }>('fair', { events: { maxLen: 0 } });
    await queue.addBulk(
      Array.from({ length: 10_000 }, (_, seq) => ({
        name: 'n',
        data: { key: 'hot', seq },
        opts: { orderingKey: 'hot', removeOnComplete: true },
      })),
    );
    for (let i = 0; i < 1000; i += 500) {
      await queue.addBulk(
        Array.from({ length: 500 }, (_, n) => ({
          name: 'n',
          data: { key: `cold${i + n}`, seq: 0 },
          opts: { orderingKey: `cold${i + n}`, removeOnComplete: true },
        })),
      );
    }
    const env = { REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'fair', CONCURRENCY: 10, JOB_MS: 0, KEY_CONCURRENCY: 10, BLOCK_MS: 500 };
    const procs = [startWorkerProcess(env), startWorkerProcess(env)];
    await waitFor(() => procs.reduce((n, p) => n + p.count('start'), 0) === 11_000, 60_000, 'every job started');
    const starts = procs.flatMap((p) => p.messages.filter((m) => m.t === 'start')).sort((a, b) => a.hr! - b.hr!);
    const lastCold = starts.findLastIndex((m) => (m.data as { key: string }).key !== 'hot');
    // round robin between the keys: the cold keys are all served within the first ~2,000 starts,
    // though the hot key's 10,000 jobs were queued first
    expect(lastCold).toBeLessThan(2500);
  }, 90_000);
});
