// Master failover on a Redis Cluster: a 3-master cluster with a replica per master and
// a 1 s cluster-node-timeout (test/helpers/cluster.ts). The master that serves a queue's slot is
// killed with SIGKILL while a producer adds and workers process; its replica takes over, and the
// same Queue and Workers carry on, with no restart. The run measures what the failover cost:
// acknowledged adds lost, jobs started twice, adds rejected during the outage, and the time from
// the kill to the first job that ran from start to finish on the new master. Replication is
// asynchronous: what the replica had not received when its master died is gone (docs/redis.md,
// "Redis Cluster"). The test bounds that with a WAIT just before the kill: every job acknowledged
// before the WAIT is on the replica, so none of those may be lost.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { useCluster } from '../helpers/use-cluster.js';
import { waitFor } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `f${i}`);
const report = (...args: unknown[]) => {
  if (process.env.SLUICE_REPORT) console.log(...args);
};

describe('Redis Cluster: master failover', () => {
  const t = useCluster(3, { replicasPerMaster: 1, nodeTimeoutMs: 1000 });

  /** WAIT on the master itself: every write it took before is on `replicas` replicas (or the timeout passed). */
  async function replicate(port: number): Promise<number> {
    const node = new Redis({ port, host: '127.0.0.1' });
    try {
      return Number(await node.call('WAIT', '1', '1000'));
    } finally {
      node.disconnect();
    }
  }

  it('SIGKILL of the queue master mid-run: the replica takes over, producer and workers carry on', async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const key = `${t.prefix}:{${name}}:x`;
    // completed jobs are kept: one whose completion the test did not see (its ack's reply lost
    // with the master) is then found completed, not gone to the retention's 1,000-job cap
    const queue = t.queue<number>(name!, { defaultJobOptions: { removeOnComplete: false } });
    const starts = new Map<string, number[]>(); // job id → start times
    const completed = new Set<string>();
    const completedBy = [0, 0]; // jobs that each worker started after the failover and completed
    const resumedAt: (number | undefined)[] = [undefined, undefined]; // each worker's first completion after the kill
    let failedOverAt = Number.POSITIVE_INFINITY;
    let killedAt = Number.POSITIVE_INFINITY;
    let firstCompletionAfterKill: number | undefined;
    const workers = [0, 1].map((w) => {
      const worker = t.worker<number>(
        name!,
        async (job) => {
          const at = Date.now();
          starts.set(job.id, [...(starts.get(job.id) ?? []), at]);
          await new Promise((r) => setTimeout(r, job.name === 'slow' ? 300 : 2)); // the job's work
          return at;
        },
        {
          concurrency: 8,
          // no jobs leased ahead: one worker holds at most 8, so the slow jobs after the failover
          // must reach both (with prefetch, one worker's call could lease all 32 of them)
          prefetch: 0,
          leaseMs: 2000,
          blockMs: 1000,
          allowErrors: true,
        },
      );
      worker.on('completed', (job: Job<number>, startedAt: number) => {
        completed.add(job.id);
        // (an answer Redis sent just before it died may be read a few ms after the kill)
        if (Date.now() > killedAt + 100) {
          firstCompletionAfterKill ??= Date.now();
          resumedAt[w] ??= Date.now();
        }
        if (startedAt > failedOverAt) completedBy[w]! += 1;
      });
      return worker;
    });
    const workerErrors: Error[] = [];
    for (const worker of workers) worker.on('error', (err: Error) => workerErrors.push(err));
    await Promise.all(workers.map((w) => w.waitUntilReady()));

    const total = 2000;
    const acked: string[] = [];
    const ackedAt = new Map<string, number>();
    let rejected = 0;
    const rejections = new Map<string, number>();
    let next = 0;
    let markKilled: () => void = () => undefined;
    const afterKill = new Promise<void>((resolve) => {
      markKilled = resolve;
    });
    // four producers in parallel, each add retried with its jobId until Redis takes it (a retry
    // of an add that was applied is refused as a duplicate: a jobId is never added twice)
    const producer = async () => {
      for (let i = next++; i < total; i = next++) {
        // keep about 200 jobs queued, and the second half of the adds for after the kill: the run spans it
        if (acked.length - completed.size > 200) await waitFor(() => acked.length - completed.size <= 200, 20_000, 'the workers');
        if (i >= total / 2) await afterKill;
        const id = `j${i}`;
        for (;;) {
          try {
            await queue.add('n', i, { jobId: id });
            break;
          } catch (err) {
            rejected += 1;
            const message = (err as Error).message.split('\n')[0]!.slice(0, 60);
            rejections.set(message, (rejections.get(message) ?? 0) + 1);
          }
        }
        acked.push(id);
        ackedAt.set(id, Date.now());
      }
    };
    const producing = Promise.all([producer(), producer(), producer(), producer()]);

    await waitFor(() => completed.size >= 600, 10_000, '600 jobs completed before the kill');
    const { port } = await t.cluster.masterOf(key);
    // the replication point: every add acknowledged before it is on the replica
    const replicated = new Set(acked);
    const waitStarted = Date.now();
    expect(await replicate(port)).toBe(1);
    const waitMs = Date.now() - waitStarted;
    killedAt = Date.now();
    const ackedBeforeKill = acked.length;
    const inFlightAtKill = ackedBeforeKill - completed.size;
    const killed = await t.cluster.killMasterOf(key);
    markKilled();
    const newPort = await t.cluster.waitForFailover(key, killed.port);
    failedOverAt = Date.now();
    await producing;
    // every job acknowledged completes, or it is gone from Redis (lost with the master)
    const settled = async (id: string) => {
      if (completed.has(id)) return true;
      const state = await (await queue.getJob(id))?.getState();
      return state === 'completed' || state === 'failed';
    };
    const gone = async (id: string) => (await queue.getJob(id)) === undefined;
    await waitFor(
      async () => {
        for (const id of acked) if (!(await settled(id)) && !(await gone(id))) return false;
        return true;
      },
      15_000,
      'every acknowledged job completed or gone',
    );
    // neither worker is stuck: slow jobs, more than one worker can hold at once, reach both
    const slow = await queue.addBulk(Array.from({ length: 32 }, (_, i) => ({ name: 'slow', data: i, opts: { jobId: `s${i}` } })));
    await waitFor(() => slow.every((j) => completed.has(j.id)), 10_000, 'the slow jobs after the failover');
    const lost: string[] = [];
    for (const id of acked) if (!completed.has(id) && (await gone(id))) lost.push(id);
    const twice = [...starts].filter(([, at]) => at.length > 1);
    const figures = {
      acked: acked.length,
      ackedBeforeKill,
      replicatedBeforeKill: replicated.size,
      waitMs,
      inFlightAtKill,
      lost: lost.length,
      startedTwice: twice.length,
      rejectedAdds: rejected,
      rejections: Object.fromEntries(rejections),
      failoverMs: failedOverAt - killed.killedAt,
      killToFirstCompletionMs: (firstCompletionAfterKill ?? Number.NaN) - killedAt,
      workerErrors: workerErrors.length,
      completedAfterFailoverByWorker: completedBy,
      resumedAfterFailoverMsByWorker: resumedAt.map((at) => (at ?? Number.NaN) - failedOverAt),
    };
    report('cluster failover:', JSON.stringify(figures), 'new master', newPort);

    expect(acked.length).toBe(total);
    expect(ackedBeforeKill).toBeLessThan(total);
    // a producer's add waits through the failover (about 10 s of redirections): none was rejected
    expect(rejected).toBe(0);
    // nothing acknowledged before the replication point is lost; what is lost was acknowledged after it
    for (const id of lost) expect(replicated.has(id)).toBe(false);
    // a job starts twice only when its first run was cut by the failover: it began before the kill
    for (const [, at] of twice) expect(at[0]!).toBeLessThan(failedOverAt);
    // no restart: both workers are running, and both completed jobs they started on the new master
    for (const worker of workers) expect(worker.isRunning()).toBe(true);
    expect(completedBy.every((n) => n > 0)).toBe(true);
    // and neither backed off long past the failover (the harness sees the promotion within 50 ms)
    for (const at of resumedAt) expect(at! - failedOverAt).toBeLessThan(2000);
    expect(firstCompletionAfterKill! - killedAt).toBeLessThan(10_000);
  });

  it('an idle worker follows the slot to the promoted replica: delayed jobs on time, adds wake it', async () => {
    t.newPrefix();
    // a queue on a master that still has a replica (the first test's master has none any more)
    const names = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 3);
    let name: string | undefined;
    for (const candidate of names) {
      if ((await t.cluster.masterOf(`${t.prefix}:{${candidate}}:x`)).replicas.length > 0) name = candidate;
    }
    const key = `${t.prefix}:{${name}}:x`;
    const queue = t.queue(name!);
    const ran = new Map<string, number>();
    const worker = t.worker(
      name!,
      async (job) => {
        ran.set(job.id, Date.now());
      },
      { blockMs: 5000, allowErrors: true },
    );
    await worker.waitUntilReady();
    await queue.add('warm-up', null);
    await waitFor(() => ran.size === 1, 5000, 'the warm-up job');
    // a delayed job due after the failover, on the replica before the kill
    const dueAt = Date.now() + 5000;
    const early = await queue.add('due-across', null, { delay: dueAt - Date.now() });
    const { port } = await t.cluster.masterOf(key);
    expect(await replicate(port)).toBe(1);
    const killed = await t.cluster.killMasterOf(key);
    await t.cluster.waitForFailover(key, killed.port);
    const failoverMs = Date.now() - killed.killedAt;
    await waitFor(() => ran.has(early.id), 10_000, 'the delayed job added before the kill');
    const acrossLateness = ran.get(early.id)! - dueAt;
    // after the failover: delayed jobs on time (CLIENT UNBLOCK reaches the new master)
    const lateness: number[] = [];
    for (let i = 0; i < 3; i++) {
      const added = Date.now();
      const job = await queue.add('due', i, { delay: 400 });
      await waitFor(() => ran.has(job.id), 5000, 'the delayed job after the failover');
      lateness.push(ran.get(job.id)! - added - 400);
    }
    // and an add wakes the idle worker (blocked on the new master), far below blockMs
    const added = Date.now();
    const plain = await queue.add('wake', null);
    await waitFor(() => ran.has(plain.id), 5000, 'the plain job after the failover');
    const wakeMs = ran.get(plain.id)! - added;
    report('cluster failover (idle worker):', JSON.stringify({ failoverMs, acrossLateness, lateness, wakeMs }));
    expect(acrossLateness).toBeGreaterThanOrEqual(-5);
    expect(acrossLateness).toBeLessThan(1000);
    expect(Math.max(...lateness)).toBeLessThan(150);
    expect(wakeMs).toBeLessThan(1000);
    expect(worker.isRunning()).toBe(true);
  });
});
