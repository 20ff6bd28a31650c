// Metrics recorded by real workers: exact totals for a known mix of outcomes, sane histograms,
// the per-minute history, the rings' bound (stale slots reset), rate-limited time and
// backpressure rejections, all read back through the Queue's methods.
import { describe, expect, it } from 'vitest';
import { QueueFullError, UnrecoverableError } from '../../src/index.js';
import { BUCKETS } from '../../src/metrics/histogram.js';
import { HIST_FIELDS, HIST_MINUTES, RING_FIELDS, RING_MINUTES, TOTAL_FIELDS } from '../../src/metrics/flush-args.js';
import { readTotals } from '../../src/metrics/metrics-store.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor } from '../helpers/wait.js';
import { parsePrometheus, sampleValue } from './prom-parser.js';

const t = useRedis();

async function redisMinute(): Promise<number> {
  const [s] = await t.admin.time();
  return Math.floor(Number(s) / 60);
}

describe('metrics recording', () => {
  it('counts a known mix exactly: completed, retried, dead-lettered, with histograms', async () => {
    t.newPrefix();
    const queue = t.queue<{ kind: string }>('mix');
    const N = 20;
    const M = 5;
    const K = 3;
    const jobs = [
      ...Array.from({ length: N }, () => ({ name: 'ok', data: { kind: 'ok' } })),
      ...Array.from({ length: M }, () => ({ name: 'retry', data: { kind: 'retry' }, opts: { attempts: 2 } })),
      ...Array.from({ length: K }, () => ({ name: 'dead', data: { kind: 'dead' } })),
    ];
    await queue.addBulk(jobs);
    const worker = t.worker<{ kind: string }>(
      'mix',
      async (job) => {
        await new Promise((r) => setTimeout(r, 30));
        if (job.data.kind === 'dead') throw new UnrecoverableError('no');
        if (job.data.kind === 'retry' && job.attemptsMade === 0) throw new Error('once');
        return null;
      },
      { concurrency: 4, metrics: { flushMs: 60_000 } },
    );
    const failed = collectEvents(worker, 'failed', M + K);
    await collectEvents(worker, 'completed', N + M);
    await failed;
    // nothing flushed yet (a minute's interval, bar the first heartbeat): close() flushes
    await worker.close();

    const totals = await readTotals(t.admin, queue.keys, 'default');
    expect(totals).toMatchObject({ completed: N + M, retried: M, deadLettered: K, stalled: 0 });
    // processing: every attempt that ended (N + 2M + K), each ~30 ms
    const procCount = totals.processing.counts.reduce((a, b) => a + b, 0);
    expect(procCount).toBe(N + 2 * M + K);
    expect(totals.processing.sum).toBeGreaterThanOrEqual(procCount * 29);
    expect(totals.processing.counts.slice(0, 2).reduce((a, b) => a + b, 0)).toBe(0); // none <= 10 ms
    // wait: first deliveries only (the retries' second runs have no known ready time)
    expect(totals.wait.counts.reduce((a, b) => a + b, 0)).toBe(N + M + K);
    expect(totals.wait.counts).toHaveLength(BUCKETS);

    const completed = await queue.getMetrics('completed');
    expect(completed.count).toBe(RING_MINUTES);
    expect(completed.meta.total).toBe(N + M);
    expect(completed.data.slice(0, 2).reduce((a, b) => a + b, 0)).toBe(N + M); // this minute (or the one before)
    expect((await queue.getMetrics('failed')).meta.total).toBe(K);
    expect((await queue.getMetrics('completed', { start: 2, end: 9 })).data).toEqual(new Array(8).fill(0));
    await expect(queue.getMetrics('completed', { start: 3, end: 1 })).rejects.toThrow(/start <= end/);
    await expect(queue.getMetrics('waiting' as 'failed')).rejects.toThrow(/completed' or 'failed/);

    const parsed = parsePrometheus(await queue.metrics());
    const labels = { queue: 'mix', group: 'default' };
    expect(sampleValue(parsed, 'sluice_jobs_completed_total', labels)).toBe(N + M);
    expect(sampleValue(parsed, 'sluice_jobs_retried_total', labels)).toBe(M);
    expect(sampleValue(parsed, 'sluice_jobs_dead_lettered_total', labels)).toBe(K);
    expect(sampleValue(parsed, 'sluice_jobs_failed_total', labels)).toBe(M + K);
    expect(sampleValue(parsed, 'sluice_job_processing_seconds_count', labels)).toBe(N + 2 * M + K);
    expect(sampleValue(parsed, 'sluice_jobs', { ...labels, state: 'completed' })).toBe(N + M);
    expect(sampleValue(parsed, 'sluice_jobs', { ...labels, state: 'failed' })).toBe(K);
    expect(sampleValue(parsed, 'sluice_workers', labels)).toBe(0); // it closed: its entry went
  });

  it('the rings are bounded: a slot stamped with an older minute is ignored, then reset', async () => {
    t.newPrefix();
    const queue = t.queue('ring');
    const g = queue.keys.group('default');
    const minute = await redisMinute();
    // plant stale slots: this minute's and the previous one's, stamped a ring's length ago
    for (const m of [minute, minute - 1]) {
      const at = (m % RING_MINUTES) * RING_FIELDS;
      await t.admin.bitfield(g.minutes, 'SET', 'u32', `#${at}`, m - RING_MINUTES, 'SET', 'u32', `#${at + 1}`, 999);
      const hat = (m % HIST_MINUTES) * HIST_FIELDS;
      await t.admin.bitfield(g.minuteHist, 'SET', 'u32', `#${hat}`, m - HIST_MINUTES, 'SET', 'u32', `#${hat + 1}`, 999);
    }
    const before = await queue.getMetrics('completed', { end: 1 });
    expect(before.data).toEqual([0, 0]);

    await queue.addBulk(Array.from({ length: 3 }, () => ({ name: 'n', data: null })));
    const worker = t.worker('ring', async () => null, { metrics: { flushMs: 60_000 } });
    await collectEvents(worker, 'completed', 3);
    await worker.close();
    const after = await queue.getMetrics('completed', { end: 1 });
    const stamp = await redisMinute();
    // the slot written took the new minute's counts only (3), not 999 + 3
    expect(after.data[0]! + after.data[1]!).toBe(3);
    const slot = (stamp % RING_MINUTES) * RING_FIELDS;
    const [m, c] = (await t.admin.bitfield(g.minutes, 'GET', 'u32', `#${slot}`, 'GET', 'u32', `#${slot + 1}`)) as number[];
    if (m === stamp) expect(c).toBeLessThanOrEqual(3);
    // fixed-size strings, whatever the traffic
    expect(await t.admin.strlen(g.minutes)).toBeLessThanOrEqual(RING_MINUTES * RING_FIELDS * 4);
    expect(await t.admin.strlen(g.minuteHist)).toBeLessThanOrEqual(HIST_MINUTES * HIST_FIELDS * 4);
    expect(await t.admin.strlen(g.metrics)).toBeLessThanOrEqual(TOTAL_FIELDS * 8);
  });

  it('counts rejections by backpressure and time held by the rate limit', async () => {
    t.newPrefix();
    const queue = t.queue('limited', { maxLength: 3 });
    await queue.addBulk(Array.from({ length: 3 }, () => ({ name: 'n', data: null })));
    await expect(queue.add('n', null)).rejects.toBeInstanceOf(QueueFullError);
    await expect(
      queue.addBulk([
        { name: 'n', data: 1 },
        { name: 'n', data: 2 },
      ]),
    ).rejects.toBeInstanceOf(QueueFullError);
    const worker = t.worker('limited', async () => null, { limiter: { max: 1, duration: 400 }, metrics: { flushMs: 60_000 } });
    await collectEvents(worker, 'completed', 3);
    await worker.close();
    const parsed = parsePrometheus(await queue.metrics());
    expect(sampleValue(parsed, 'sluice_backpressure_rejections_total', { queue: 'limited' })).toBe(3);
    // three starts at most one per 400 ms: the worker waited about 800 ms for the limit
    const held = sampleValue(parsed, 'sluice_rate_limited_seconds_total', { queue: 'limited', group: 'default' });
    expect(held).toBeGreaterThan(0.3);
    expect(held).toBeLessThan(5);
  });

  it('metrics: false records nothing and lists no worker; bad options are refused', async () => {
    t.newPrefix();
    const queue = t.queue('off');
    await queue.add('n', null);
    const worker = t.worker('off', async () => null, { metrics: false });
    await collectEvents(worker, 'completed', 1);
    await worker.close();
    expect((await readTotals(t.admin, queue.keys, 'default')).completed).toBe(0);
    expect(await queue.getWorkers()).toEqual([]);
    expect(() => t.worker('off', async () => null, { metrics: { flushMs: 10 } })).toThrow(/flushMs/);
    expect(() => t.worker('off', async () => null, { metrics: { every: 1 } as never })).toThrow(/every/);
    expect(() => t.worker('off', async () => null, { name: '' })).toThrow(/name/);
  });

  it('wait time runs from when a job was ready: the delay of a delayed job is not waiting', async () => {
    t.newPrefix();
    const queue = t.queue('waits');
    const worker = t.worker('waits', async () => null, { metrics: { flushMs: 60_000 } });
    await worker.waitUntilReady();
    const done = collectEvents(worker, 'completed', 2);
    await queue.add('late', null, { delay: 1_500 });
    await queue.add('now', null);
    await done;
    await worker.close();
    const { wait } = await readTotals(t.admin, queue.keys, 'default');
    expect(wait.counts.reduce((a, b) => a + b, 0)).toBe(2);
    // both were leased soon after they were ready: far less than the 1.5 s delay in all
    expect(wait.sum).toBeLessThan(1_000);
  });

  it('a periodic flush sends the counts while the worker runs', async () => {
    t.newPrefix();
    const queue = t.queue('periodic');
    const worker = t.worker('periodic', async () => null, { metrics: { flushMs: 150 } });
    await worker.waitUntilReady();
    await queue.addBulk(Array.from({ length: 7 }, () => ({ name: 'n', data: null })));
    await waitFor(async () => (await queue.getMetrics('completed', { end: 1 })).meta.total === 7, 5000, 'a flush of 7 completions');
    expect(worker.health().state).toBe('running');
  });
});
