// The load-leveling rate limiter: at most max starts in any window of duration, across all
// workers and processes, with Redis time; jobs over it wait unpenalised.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, RateLimitError, type Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { commandStats, redisNow, useRawClients } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

/** The most starts found in any window [t, t + duration) of the sorted start times. */
function busiestWindow(starts: number[], duration: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[j]! < sorted[i]! - duration + 1) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('rate limiter', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('is exact across processes: 3 processes × concurrency 50, never more than max starts in any window', async () => {
    const queue = t.queue('limited', { events: { maxLen: 0 } });
    const max = 40;
    const duration = 300;
    const total = 400;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'call', data: i })));
    const env = {
      REDIS_URL: t.url,
      PREFIX: t.prefix,
      QUEUE: 'limited',
      CONCURRENCY: 50,
      JOB_MS: 5,
      LIMIT_MAX: max,
      LIMIT_MS: duration,
      BLOCK_MS: 1000,
    };
    const redis = raw();
    const before = await commandStats(redis);
    const procs = [startWorkerProcess(env), startWorkerProcess(env), startWorkerProcess(env)];
    await waitFor(async () => (await queue.getJobCounts()).completed === total, 30_000, 'every job completed');

    const starts = procs.flatMap((p) => p.messages.filter((m) => m.t === 'start').map((m) => m.at!));
    expect(starts).toHaveLength(total);
    expect(busiestWindow(starts, duration)).toBeLessThanOrEqual(max);
    // load levelled, not starved: all three processes took part, at about the limit's rate
    for (const p of procs) expect(p.count('start')).toBeGreaterThan(0);
    // levelled: the starts (Redis time) span at least the windows the limit needs
    expect(Math.max(...starts) - Math.min(...starts)).toBeGreaterThanOrEqual((total / max - 1) * duration);
    expect(await queue.getRateLimit()).toEqual({ max, duration });
    // limited workers sleep until the next start is allowed: script calls stay well below one per job
    const after = await commandStats(redis);
    const scriptCalls = (after.evalsha ?? 0) - (before.evalsha ?? 0);
    expect(scriptCalls).toBeLessThan(total);
  }, 60_000);

  it('with concurrency and retries: failed attempts count as starts, and no job is failed by the limit', async () => {
    t.newPrefix();
    const queue = t.queue<number>('retrying');
    const max = 15;
    const duration = 200;
    // the group's limit is set before any worker starts (the second worker has no option of its own)
    await queue.setRateLimit({ max, duration });
    const starts: number[] = [];
    const tries = new Map<number, number>();
    t.worker<number>(
      'retrying',
      async (job: Job<number>) => {
        starts.push(job.processedOn!);
        tries.set(job.data, (tries.get(job.data) ?? 0) + 1);
        if (job.attemptsMade === 0 && job.data % 3 === 0) throw new Error('flaky downstream');
        return job.data;
      },
      { concurrency: 10, limiter: { max, duration }, blockMs: 500 },
    );
    t.worker<number>(
      'retrying',
      async (job: Job<number>) => {
        starts.push(job.processedOn!);
        tries.set(job.data, (tries.get(job.data) ?? 0) + 1);
        if (job.attemptsMade === 0 && job.data % 3 === 0) throw new Error('flaky downstream');
        return job.data;
      },
      { concurrency: 10, blockMs: 500 },
    );
    const total = 90;
    await queue.addBulk(
      Array.from({ length: total }, (_, i) => ({ name: 'n', data: i, opts: { attempts: 3, backoff: { type: 'fixed', delay: 10 } } })),
    );
    await waitFor(async () => (await queue.getJobCounts()).completed === total, 20_000, 'every job completed');
    expect((await queue.getJobCounts()).failed).toBe(0);
    expect(starts).toHaveLength(total + total / 3);
    expect(busiestWindow(starts, duration)).toBeLessThanOrEqual(max);
    for (const [data, n] of tries) expect(n).toBe(data % 3 === 0 ? 2 : 1);
  });

  it('RateLimitError pauses the whole group and puts the job back unpenalised; worker.rateLimit(ms) too', async () => {
    t.newPrefix();
    const queue = t.queue<string>('throttled');
    const starts: { data: string; at: number; attemptsMade: number }[] = [];
    let refused = false;
    const processor = async (job: Job<string>) => {
      starts.push({ data: job.data, at: job.processedOn!, attemptsMade: job.attemptsMade });
      if (job.data === 'first' && !refused) {
        refused = true;
        throw new RateLimitError(400); // the downstream answered 429
      }
      return job.data;
    };
    const a = t.worker<string>('throttled', processor, { blockMs: 500 });
    t.worker<string>('throttled', processor, { blockMs: 500 });
    await queue.add('n', 'first');
    await waitFor(() => starts.length === 1, 5000, 'the first start');
    await queue.addBulk(['second', 'third'].map((data) => ({ name: 'n', data })));
    await waitFor(async () => (await queue.getJobCounts()).completed === 3, 10_000, 'all three completed');
    const first = starts[0]!;
    // nothing started in either worker for 400 ms of Redis time; the refused job was leased
    // again first (its lease time is the earliest, if shared with others of the same call)
    for (const s of starts.slice(1)) expect(s.at - first.at).toBeGreaterThanOrEqual(400);
    const again = starts.slice(1).find((s) => s.data === 'first')!;
    expect(again.attemptsMade).toBe(0);
    expect(Math.min(...starts.slice(1).map((s) => s.at))).toBe(again.at);
    expect((await queue.getJobs('completed')).every((j) => j.attemptsMade === 0)).toBe(true);

    const limitedAt = await redisNow(raw());
    await a.rateLimit(300);
    const before = starts.length;
    await queue.add('n', 'later');
    await waitFor(() => starts.length === before + 1, 5000, 'the later job');
    expect(starts[before]!.at - limitedAt).toBeGreaterThanOrEqual(300);
  });

  it('bad limiter options are refused with typed errors; null removes the limit', async () => {
    t.newPrefix();
    const queue = t.queue('opts');
    await expect(queue.setRateLimit({ max: 0, duration: 100 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.setRateLimit({ max: 5, duration: -1 })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => t.worker('opts', async () => null, { limiter: { max: 1.5, duration: 10 } })).toThrow(InvalidOptionError);
    expect(() => new RateLimitError(-1)).toThrow(InvalidOptionError);
    await queue.setRateLimit({ max: 5, duration: 1000 });
    expect(await queue.getRateLimit()).toEqual({ max: 5, duration: 1000 });
    await queue.setRateLimit(null);
    expect(await queue.getRateLimit()).toBeUndefined();
  });
});
