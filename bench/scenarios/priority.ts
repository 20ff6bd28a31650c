// Scenario 9, priorities: the cost of job priorities, and that they leave plain jobs alone.
// In one turn, on an emptied Redis each time: (a) `jobs` plain jobs, (b) `jobs` jobs with
// pseudo-random priorities 1..levels (the same for job i in every turn and library), each
// pre-filled with the bulk call and then drained by one worker process (no-op processor,
// completed jobs removed) as in the processing scenarios. Reports jobs/s for both, and (b) as
// a share of (a). Bee-Queue has no priorities: (b) does not apply to it ("n/a").
import { unitHash } from '../lib/stats.js';
import type { AddOptions } from '../adapters/types.js';
import { drainInWorker } from './drain.js';
import { appliesTo, commandsPerJob, metric, prefill, type BenchConfig, type Scenario, type TurnContext } from './types.js';

const WITH_PRIORITIES = ['sluice', 'bullmq'] as const;

interface Drain {
  rate: number;
  elapsedMs: number;
  redisCpuUsPerJob: number;
  commandsPerJob: Record<string, number>;
  callsPerJob: number;
}

async function drain(ctx: TurnContext, jobs: number, concurrency: number, opts?: (i: number) => AddOptions): Promise<Drain> {
  await ctx.redis.flushAll();
  const queue = ctx.queue(opts ? 'prio' : 'plain');
  await prefill(ctx, queue, jobs, 'remove', opts);
  const { result, delta } = await drainInWorker(ctx, queue, jobs, { concurrency });
  return {
    rate: (jobs / result.elapsedMs) * 1000,
    elapsedMs: result.elapsedMs,
    redisCpuUsPerJob: delta.cpuUs / jobs,
    callsPerJob: delta.calls / jobs,
    commandsPerJob: commandsPerJob(delta, jobs),
  };
}

export function priorityScenario(c: BenchConfig['priority']): Scenario {
  const family = 'priority';
  const n = c.jobs.toLocaleString('en-US');
  const metrics = [
    metric(family, 'plain', `drain ${n} plain jobs, c=${c.concurrency}`, 'jobs/s', 'higher', 0, 'plain jobs'),
    {
      ...metric(family, 'prio', `drain ${n} jobs with priorities 1–${c.levels}`, 'jobs/s', 'higher', 0, 'with priorities'),
      libs: WITH_PRIORITIES,
    },
    { ...metric(family, 'share', 'with priorities / plain', '%', 'higher', 0, 'prioritised / plain'), libs: WITH_PRIORITIES },
  ];
  return {
    id: family,
    family,
    metrics,
    async run(ctx: TurnContext) {
      const plain = await drain(ctx, c.jobs, c.concurrency);
      const out: Record<string, number> = { [`${family}.plain`]: plain.rate };
      const extra: Record<string, unknown> = { plain };
      if (appliesTo(metrics[1]!, ctx.lib)) {
        const priority = (i: number) => 1 + Math.floor(unitHash(i, 2) * c.levels);
        const prio = await drain(ctx, c.jobs, c.concurrency, (i) => ({ priority: priority(i) }));
        out[`${family}.prio`] = prio.rate;
        out[`${family}.share`] = (prio.rate / plain.rate) * 100;
        extra.prio = prio;
      }
      return { metrics: out, extra };
    },
  };
}
