// Flow control (README "Flow control"): (1) limiter accuracy — `jobs` pre-filled jobs drained by one worker
// process (concurrency 50) under a rate limit of `rate` starts per second: the drain rate,
// jobs / (last start − first start + 1 s) — the time until the limit would let the next job
// start, so that a limiter that starts each window with a burst and one that paces evenly both
// score the limit exactly — its deviation from the limit, and the busiest window of one second
// as a share of the limit (100% = never over). Start times are the ones each library records
// for a job (processedOn: when it was leased); a processor may start a few ms after that. BullMQ has a limiter too; Bee-Queue
// has none ("n/a"). (2) ordered-key throughput (sluice only: the others have no free ordered
// keys) — `jobs` jobs spread over `keys` ordering keys drained at concurrency 100, against the
// same jobs without keys.
import type { AddOptions } from '../adapters/types.js';
import type { WorkerChildConfig, WorkerChildResult } from '../worker-child.js';
import { drainInWorker } from './drain.js';
import { appliesTo, metric, prefill, type Scenario, type TurnContext, type TurnResult } from './types.js';

export interface FlowControlConfig {
  limiter: { jobs: number; rate: number };
  ordered: { jobs: number; keys: number; concurrency: number };
}

async function drain(
  ctx: TurnContext,
  name: string,
  jobs: number,
  config: Partial<WorkerChildConfig>,
  opts?: (i: number) => AddOptions,
): Promise<{ result: WorkerChildResult; commands: number }> {
  await ctx.redis.flushAll();
  const queue = ctx.queue(name);
  await prefill(ctx, queue, jobs, 'remove', opts);
  const { result, delta } = await drainInWorker(ctx, queue, jobs, { concurrency: 50, ...config }, jobs * 5);
  return { result, commands: delta.calls / jobs };
}

/** The most starts in any window [t, t + windowMs). */
function busiest(starts: number[], windowMs: number): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

export function flowControlScenarios(c: FlowControlConfig): Scenario[] {
  const lim = 'limiter';
  const limMetrics = [
    {
      ...metric(
        lim,
        'rate',
        `${c.limiter.jobs.toLocaleString('en-US')} jobs at a limit of ${c.limiter.rate}/s: achieved rate`,
        'jobs/s',
        'higher',
        0,
        'achieved rate',
      ),
      libs: ['sluice', 'bullmq'] as const,
    },
    { ...metric(lim, 'deviation', 'deviation from the limit', '%', 'lower', 1, 'deviation'), libs: ['sluice', 'bullmq'] as const },
    { ...metric(lim, 'busiest', 'busiest 1 s window / limit', '%', 'lower', 0, 'busiest window'), libs: ['sluice', 'bullmq'] as const },
  ];
  const ord = 'ordered';
  const n = c.ordered.jobs.toLocaleString('en-US');
  const ordMetrics = [
    {
      ...metric(ord, 'plain', `drain ${n} jobs without keys, c=${c.ordered.concurrency}`, 'jobs/s', 'higher', 0, 'no keys'),
      libs: ['sluice'] as const,
    },
    {
      ...metric(
        ord,
        'keyed',
        `drain ${n} jobs over ${c.ordered.keys.toLocaleString('en-US')} ordering keys`,
        'jobs/s',
        'higher',
        0,
        'ordered keys',
      ),
      libs: ['sluice'] as const,
    },
    { ...metric(ord, 'share', 'ordered / without keys', '%', 'higher', 0, 'ordered / plain'), libs: ['sluice'] as const },
    { ...metric(ord, 'commands', 'Redis commands per ordered job', 'cmds', 'lower', 2, 'commands per job'), libs: ['sluice'] as const },
  ];
  return [
    {
      id: lim,
      family: lim,
      metrics: limMetrics,
      async run(ctx): Promise<TurnResult> {
        if (!appliesTo(limMetrics[0]!, ctx.lib)) return { metrics: {} };
        const { result } = await drain(ctx, 'limited', c.limiter.jobs, { starts: true, limiter: { max: c.limiter.rate, duration: 1000 } });
        const starts = [...result.starts!].sort((a, b) => a - b);
        const rate = (starts.length / (starts[starts.length - 1]! - starts[0]! + 1000)) * 1000;
        return {
          metrics: {
            [`${lim}.rate`]: rate,
            [`${lim}.deviation`]: (Math.abs(rate - c.limiter.rate) / c.limiter.rate) * 100,
            [`${lim}.busiest`]: (busiest(starts, 1000) / c.limiter.rate) * 100,
          },
        };
      },
    },
    {
      id: ord,
      family: ord,
      metrics: ordMetrics,
      async run(ctx): Promise<TurnResult> {
        if (!appliesTo(ordMetrics[0]!, ctx.lib)) return { metrics: {} };
        const config = { concurrency: c.ordered.concurrency };
        const plain = await drain(ctx, 'plain', c.ordered.jobs, config);
        const keyed = await drain(ctx, 'keyed', c.ordered.jobs, config, (i) => ({ orderingKey: `k${i % c.ordered.keys}` }));
        const plainRate = (c.ordered.jobs / plain.result.elapsedMs) * 1000;
        const keyedRate = (c.ordered.jobs / keyed.result.elapsedMs) * 1000;
        return {
          metrics: {
            [`${ord}.plain`]: plainRate,
            [`${ord}.keyed`]: keyedRate,
            [`${ord}.share`]: (keyedRate / plainRate) * 100,
            [`${ord}.commands`]: keyed.commands,
          },
        };
      },
    },
  ];
}
