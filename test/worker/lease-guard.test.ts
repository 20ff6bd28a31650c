// The lease guard (src/worker/lease-guard.ts): a processor that blocks the worker's event loop
// for longer than its lease keeps the job, renewed from the guard's thread, while a worker in
// another process polls the same group; past maxBlockedMs it loses the job as a dead worker
// would. Real CPU spinning in this test process, a real second worker process.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, Worker } from '../../src/index.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitForEvent } from '../helpers/wait.js';

/** Blocks this thread for `ms` (a CPU-bound processor run without a sandbox). */
function spin(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

describe('lease guard', () => {
  const t = useRedis();

  /** A worker here whose processor spins `spinMs` once a second worker process polls the group. */
  async function spinWhileAnotherPolls(
    name: string,
    spinMs: number,
    opts: { leaseGuard?: { maxBlockedMs: number }; leaseMs?: number } = {},
  ) {
    const queue = t.queue(name);
    let otherPolls!: () => void;
    const polling = new Promise<void>((resolve) => (otherPolls = resolve));
    const worker = t.worker(
      name,
      async () => {
        await polling;
        spin(spinMs);
        return 'spun';
      },
      { leaseMs: 1000, prefetch: 0, ...opts },
    );
    const active = waitForEvent(worker, 'active');
    const job = await queue.add('spin', {});
    await active;
    // the other worker polls every 200 ms: it takes any lease that runs out
    const other = startWorkerProcess({
      REDIS_URL: t.url,
      PREFIX: t.prefix,
      QUEUE: name,
      CONCURRENCY: 1,
      LEASE_MS: 1000,
      BLOCK_MS: 200,
      JOB_MS: 0,
    });
    await other.until('ready', 1);
    // its first lease call: a job added now goes to it (ours has every slot taken)
    const probe = await queue.add('probe', {});
    await other.until('done', 1);
    expect(other.messages.find((m) => m.t === 'done')?.id).toBe(probe.id);
    return { queue, worker, job, other, start: () => otherPolls() };
  }

  /** Lets the spinning processor start, and checks its job completes once, never lost, never run by the other worker. */
  async function completesOnce({ queue, worker, job, other, start }: Awaited<ReturnType<typeof spinWhileAnotherPolls>>) {
    const lost: string[] = [];
    worker.on('lost', (id) => lost.push(id));
    const completed = waitForEvent(worker, 'completed', 20_000);
    start();
    const [done] = await completed;
    expect(done.id).toBe(job.id);
    expect(lost).toEqual([]);
    expect(other.messages.filter((m) => m.t === 'start' && m.id === job.id)).toEqual([]);
    const stored = await queue.getJob(job.id);
    expect(stored?.returnvalue).toBe('spun');
    expect(stored?.deliveries).toBe(1);
  }

  it('a processor blocking the event loop for 4 s with a 1 s lease completes once; the other worker never gets it', async () => {
    await completesOnce(await spinWhileAnotherPolls('guarded', 4000));
  });

  it('with a longer lease the thread connects only once a round is overdue, and keeps the job of a loop blocked past it', async () => {
    const spinning = await spinWhileAnotherPolls('lazy', 7500, { leaseMs: 6000 });
    const guardConnections = async () =>
      String(await t.admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes(`name=sluice:lease-guard:${process.pid}`)).length;
    // jobs have run (the probe in the other process, ours now active): the guard's thread holds no connection yet
    expect(await guardConnections()).toBe(0);
    await completesOnce(spinning);
    expect(await guardConnections()).toBe(1);
  });

  it('past maxBlockedMs the guard stops: the lease runs out and the other worker runs the job', async () => {
    const { job, other, start } = await spinWhileAnotherPolls('capped', 6000, { leaseGuard: { maxBlockedMs: 1500 } });
    start();
    // this process is blocked for 6 s; the other takes the job once the lease runs out (about 2.5 s in)
    await other.until('done', 2, 20_000);
    const rerun = other.messages.find((m) => m.t === 'start' && m.id === job.id);
    expect(rerun?.deliveries).toBe(2);
  });

  it('refuses a malformed leaseGuard option', () => {
    for (const bad of ['yes', 0, { maxBlockedMs: 10 }, { maxBlockedMs: 1000, other: 1 }]) {
      expect(
        () => new Worker('bad', async () => 1, { connection: t.url, logger: quietLogger, autorun: false, leaseGuard: bad as never }),
      ).toThrow(InvalidOptionError);
    }
  });
});
