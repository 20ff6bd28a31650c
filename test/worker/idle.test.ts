// Invariant 5 (docs/invariants.md): idle workers block inside Redis instead of polling, and wake as soon as work
// arrives (a new job, a prioritised job, a delayed job coming due).
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { commandStats, gate, scriptCalls, useRawClients } from '../helpers/tools.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

function sum(stats: Record<string, number>, skip: string[] = []): number {
  return Object.entries(stats).reduce((n, [cmd, calls]) => (skip.includes(cmd) ? n : n + calls), 0);
}

describe('idle workers', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('block instead of polling: a bounded number of commands per block timeout', async () => {
    t.newPrefix();
    const queue = t.queue('idle');
    await queue.add('warm-up', null); // the stream and the group exist, as in a queue in use
    const blockMs = 1000;
    const worker = t.worker('idle', async () => null, { blockMs });
    await waitForEvent(worker, 'completed');
    const redis = raw();
    // let the worker settle into its blocking read after the warm-up job
    await waitFor(async () => String(await redis.client('LIST')).includes('cmd=bzpopmin'), 5000, 'a blocking BZPOPMIN');
    const windowMs = 3000;
    const before = await commandStats(redis);
    const started = Date.now();
    // the measurement window itself (not a wait for work): an idle worker over ~3 block timeouts
    await new Promise((r) => setTimeout(r, windowMs));
    const after = await commandStats(redis);
    const elapsed = Date.now() - started;
    const delta: Record<string, number> = {};
    for (const [cmd, calls] of Object.entries(after)) {
      const d = calls - (before[cmd] ?? 0);
      if (d > 0 && cmd !== 'info') delta[cmd] = d;
    }
    const total = sum(delta);
    // a blocking read is counted when it returns: the window holds 2-3 whole cycles
    const cycles = delta.bzpopmin ?? 0;
    const perCycle = cycles > 0 ? total / cycles : total;
    const measuredPerMinute = Math.round((total * 60_000) / elapsed);
    const steadyPerMinute = Math.round(perCycle * (60_000 / blockMs));
    console.log(
      `idle worker, blockMs ${blockMs}: ${total} commands (incl. those run inside Lua) in ${elapsed} ms over ${cycles} ` +
        `block timeouts = ${perCycle.toFixed(1)} commands per block timeout; steady state ${steadyPerMinute}/min ` +
        `(measured ${measuredPerMinute}/min), ~${Math.round(steadyPerMinute / 5)}/min at the default blockMs 5000. ` +
        JSON.stringify(delta),
    );
    // blocking, not polling: about one fetch and one blocking read per block timeout
    const maxCycles = Math.ceil(elapsed / blockMs) + 1;
    // plus the metrics flush, the worker's heartbeat: one script call per flushMs (5 s) at most
    const maxFlushes = Math.ceil(elapsed / 5000) + 1;
    expect(cycles).toBeGreaterThanOrEqual(1);
    expect(cycles).toBeLessThanOrEqual(maxCycles);
    expect(delta.evalsha ?? 0).toBeLessThanOrEqual(maxCycles + maxFlushes);
    // and each cycle costs a bounded, small number of commands
    expect(perCycle).toBeLessThanOrEqual(20);
    expect(measuredPerMinute).toBeLessThanOrEqual(20 * (60_000 / blockMs));
    expect(worker.health().healthy).toBe(true);
  });

  it('an idle worker wakes when a job is added, long before its block timeout', async () => {
    t.newPrefix();
    const queue = t.queue('wake');
    const worker = t.worker('wake', async (j) => j.name, { blockMs: 30_000 });
    const redis = raw();
    await waitFor(async () => String(await redis.client('LIST')).includes('cmd=bzpopmin'), 5000, 'a blocking BZPOPMIN');
    for (const [name, opts] of [
      ['plain', {}],
      ['prioritised', { priority: 5 }],
      ['delayed', { delay: 200 }],
    ] as const) {
      const done = waitForEvent<[Job, unknown]>(worker, 'completed', 10_000);
      const job = await queue.add(name, null, opts);
      const [finished, result] = await done;
      expect(finished.id).toBe(job.id);
      expect(result).toBe(name);
    }
  });

  it('a new job wakes one idle worker, not all of them: script calls per job do not grow with idle workers', async () => {
    const redis = raw();
    const scriptsPerJob = async (idle: number): Promise<number> => {
      t.newPrefix();
      const queue = t.queue('herd');
      const workers = Array.from({ length: idle }, () => t.worker('herd', async () => null, { blockMs: 30_000 }));
      const blocked = async () => (String(await redis.client('LIST')).match(/cmd=bzpopmin/g) ?? []).length;
      await waitFor(async () => (await blocked()) >= idle, 10_000, 'every worker blocking');
      let done = 0;
      for (const w of workers) w.on('completed', () => done++);
      const before = await commandStats(redis);
      const jobs = 30;
      for (let i = 0; i < jobs; i++) {
        await queue.add('j', i);
        await waitFor(() => done === i + 1, 5000, `job ${i} done`);
      }
      const after = await commandStats(redis);
      await Promise.all(workers.map((w) => w.close()));
      return ((after.evalsha ?? 0) - (before.evalsha ?? 0) + (after.eval ?? 0) - (before.eval ?? 0)) / jobs;
    };
    const one = await scriptsPerJob(1);
    const twenty = await scriptsPerJob(20);
    console.log(`jobs added one at a time: ${one.toFixed(1)} script calls per job with 1 idle worker, ${twenty.toFixed(1)} with 20`);
    // before one wake per group, every idle worker leased on every job (~24 calls per job with 20)
    expect(twenty).toBeLessThanOrEqual(one + 1);
  });

  // regression: a busy worker holding a prefetched job kept polling an empty queue
  it('a busy worker holding a prefetched job does not poll an empty queue', async () => {
    t.newPrefix();
    const queue = t.queue<{ slow?: boolean }>('spin');
    const slow = gate();
    const started = gate();
    const worker = t.worker<{ slow?: boolean }>(
      'spin',
      async (job) => {
        if (job.data.slow) {
          started.open();
          await slow.promise;
        }
      },
      { concurrency: 1 },
    );
    await queue.addBulk(Array.from({ length: 50 }, () => ({ name: 'fast', data: {} })));
    await collectEvents(worker, 'completed', 50);
    await queue.add('slow', { slow: true });
    await queue.add('after', {});
    await started.promise;
    await waitFor(() => worker.health().prefetched === 1 || worker.health().activeJobs === 1, 5000, 'one running');
    const before = await scriptCalls(t.admin);
    // a measurement window while the slow job runs (not a wait for work)
    await new Promise((r) => setTimeout(r, 500));
    const during = (await scriptCalls(t.admin)) - before;
    slow.open();
    await collectEvents(worker, 'completed', 2);
    expect(during).toBeLessThan(20);
  });
});
