// Resharding a busy queue's slot on a 3-master Redis Cluster (test/helpers/cluster.ts): while
// producers add (some jobs with a jobId, some delayed) and two workers process a few thousand
// jobs, the queue's slot moves to another master the way `redis-cli --cluster reshard` moves a
// slot: SETSLOT IMPORTING on the target, MIGRATING on the source, GETKEYSINSLOT + MIGRATE in
// batches, SETSLOT NODE on every node. While the slot migrates every sluice script is refused
// whole (TRYAGAIN, lua/README.md), so the queue pauses and resumes by itself once the slot has
// moved. The run measures the pause: the longest gap between two completions, and how long the
// migration took (docs/redis.md, "Redis Cluster").
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Job } from '../../src/index.js';
import { keySlot } from '../../src/redis/cluster.js';
import { slotMoving } from '../../src/redis/redis-errors.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { useCluster } from '../helpers/use-cluster.js';
import { waitFor } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `m${i}`);
const report = (...args: unknown[]) => {
  if (process.env.SLUICE_REPORT) console.log(...args);
};
/** Keys moved per MIGRATE (redis-cli --cluster reshard moves 10 by default, --cluster-pipeline). */
const MIGRATE_BATCH = Number(process.env.RESHARD_BATCH ?? 50);

describe('Redis Cluster: resharding a busy queue', () => {
  const t = useCluster();

  it("moving the queue's slot under load: every added job completes once, the queue pauses and resumes by itself", async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const queue = t.queue<number>(name!);
    const starts = new Map<string, number>(); // job id → times started
    const completions: number[] = []; // when each completion was seen
    const completed = new Map<string, number>(); // job id → times completed
    const stalled: string[] = [];
    const workerErrors: Error[] = [];
    const workers = [0, 1].map(() => {
      const worker = t.worker<number>(
        name!,
        async (job) => {
          starts.set(job.id, (starts.get(job.id) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 1 + (job.data % 5))); // 1-5 ms of work
        },
        { concurrency: 20, leaseMs: 10_000, allowErrors: true },
      );
      worker.on('completed', (job: Job<number>) => {
        completions.push(Date.now());
        completed.set(job.id, (completed.get(job.id) ?? 0) + 1);
      });
      worker.on('stalled', (jobId: string) => stalled.push(jobId));
      worker.on('error', (err: Error) => workerErrors.push(err));
      return worker;
    });
    await Promise.all(workers.map((w) => w.waitUntilReady()));

    // producers: a few thousand jobs in flight; every third with a jobId, every fifth delayed
    const acked = new Set<string>();
    const rejections: string[] = [];
    let next = 0;
    let producing = true;
    const IN_FLIGHT = Number(process.env.RESHARD_JOBS ?? 3000);
    const producer = async () => {
      while (producing) {
        if (acked.size - completed.size > IN_FLIGHT) {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        const i = next++;
        const opts = {
          ...(i % 3 === 0 ? { jobId: `j${i}` } : {}),
          ...(i % 5 === 0 ? { delay: 20 + (i % 200) } : {}),
        };
        // a jobId add is retried (it is never added twice); a plain add is not (it may have been added)
        for (let tries = 0; tries < 20 && producing; tries++) {
          try {
            const job = await queue.add('n', i, opts);
            acked.add(job.id);
            break;
          } catch (err) {
            rejections.push((err as Error).message.slice(0, 120));
            if (!opts.jobId) break;
            await new Promise((r) => setTimeout(r, 50));
          }
        }
      }
    };
    // a backlog first (one addBulk is one script call per chunk), then the producers keep adding
    const backlog = Array.from({ length: IN_FLIGHT }, () => next++).map((i) => ({
      name: 'n',
      data: i,
      opts: { ...(i % 3 === 0 ? { jobId: `j${i}` } : {}), ...(i % 5 === 0 ? { delay: 20 + (i % 200) } : {}) },
    }));
    for (const job of await queue.addBulk(backlog)) acked.add(job.id);
    const producers = [producer(), producer(), producer(), producer()];
    onTestFinished(() => {
      producing = false;
    });
    await waitFor(() => completed.size >= 500, 15_000, 'a busy queue');

    // move the slot, as redis-cli --cluster reshard does
    const slot = keySlot(`${t.prefix}:{${name}}:x`);
    const nodes = t.cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
    let keysMoved = 0;
    let migrationStart = 0;
    let migrationEnd = 0;
    let inFlightAtStart = 0;
    try {
      const ids = await Promise.all(nodes.map(async (n) => String(await n.cluster('MYID'))));
      const slots = (await t.admin.cluster('SLOTS')) as [number, number, [string, number, string]][];
      const from = ids.indexOf(slots.find(([a, b]) => slot >= a && slot <= b)![2][2]);
      const to = (from + 1) % nodes.length;
      inFlightAtStart = acked.size - completed.size;
      migrationStart = Date.now();
      await nodes[to]!.cluster('SETSLOT', slot, 'IMPORTING', ids[from]!);
      await nodes[from]!.cluster('SETSLOT', slot, 'MIGRATING', ids[to]!);
      for (;;) {
        const keys = (await nodes[from]!.cluster('GETKEYSINSLOT', slot, MIGRATE_BATCH)) as string[];
        if (keys.length === 0) break;
        await nodes[from]!.call('MIGRATE', '127.0.0.1', String(t.cluster.ports[to]), '', '0', '5000', 'KEYS', ...keys);
        keysMoved += keys.length;
      }
      // the target first, then the source, then the others (redis-cli's order)
      for (const i of [to, from, ...nodes.keys()].filter((n, k, all) => all.indexOf(n) === k)) {
        await nodes[i]!.cluster('SETSLOT', slot, 'NODE', ids[to]!);
      }
      migrationEnd = Date.now();
      expect(await nodes[from]!.cluster('COUNTKEYSINSLOT', slot)).toBe(0);
    } finally {
      for (const n of nodes) n.disconnect();
    }

    // keep producing for a while on the new master, then let the workers finish
    const completedAtEnd = completed.size;
    await waitFor(() => completed.size >= completedAtEnd + 2000, 10_000, 'jobs completed after the move');
    producing = false;
    await Promise.all(producers);
    await waitFor(() => [...acked].every((id) => completed.has(id)), 15_000, 'every acknowledged job completed');

    // the pause: the longest gap between two completions around the migration
    let longestGap = 0;
    let firstAfter: number | undefined;
    for (let i = 1; i < completions.length; i++) {
      const [a, b] = [completions[i - 1]!, completions[i]!];
      if (b < migrationStart) continue;
      if (a > migrationEnd + 2000) break;
      longestGap = Math.max(longestGap, b - a);
      if (b > migrationEnd) firstAfter ??= b;
    }
    const twice = [...starts].filter(([, n]) => n > 1).length;
    const completedTwice = [...completed].filter(([, n]) => n > 1).length;
    const counts = await queue.getJobCounts();
    const errorKinds = new Map<string, number>();
    for (const err of workerErrors) {
      const kind = `${err.name}: ${err.message.slice(0, 80)}`;
      errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
    }
    const figures = {
      acked: acked.size,
      inFlightAtStart,
      keysMoved,
      migrationMs: migrationEnd - migrationStart,
      longestCompletionGapMs: longestGap,
      migrationEndToNextCompletionMs: (firstAfter ?? Number.NaN) - migrationEnd,
      startedTwice: twice,
      completedTwice,
      stalled: stalled.length,
      rejectedAdds: rejections.length,
      workerErrors: Object.fromEntries(errorKinds),
      counts,
    };
    report('cluster reshard:', JSON.stringify(figures));

    // nothing lost, nothing run twice without a lease running out (none does: leaseMs 10 s)
    expect(completedTwice).toBe(0);
    expect(twice).toBeLessThanOrEqual(stalled.length);
    expect(rejections).toEqual([]);
    // no job left in no set: nothing waits, runs or is delayed any more, nothing failed
    expect(counts).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 0 });
    // the only errors the workers reported are the slot moving (a call refused for longer than
    // ioredis retries it), each retried within 200 ms
    for (const err of workerErrors) expect(slotMoving(err), err.message).toBe(true);
    // the queue resumes by itself within a second of the move
    expect(longestGap).toBeLessThan(migrationEnd - migrationStart + 1000);
    for (const worker of workers) expect(worker.isRunning()).toBe(true);
  }, 60_000);
});
