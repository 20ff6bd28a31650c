// Controls of one worker at run time: pause()/resume()/isPaused() (the group-wide pause is
// queue.pause(), test/flow-control), and the concurrency setter. Against a real Redis: a paused
// worker hands back what it leased ahead, finishes and acks what runs, leaves the wake marker to
// the other workers and stays healthy; a changed concurrency is what the worker runs at once.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type Worker } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

/** Jobs that run until the test releases them, and how many run at once. */
function gate() {
  const waiting: (() => void)[] = [];
  const state = { running: 0, maxRunning: 0, started: 0 };
  const processor = async () => {
    state.started++;
    state.running++;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    await new Promise<void>((resolve) => waiting.push(resolve));
    state.running--;
    return 'ok';
  };
  const releaseAll = () => {
    for (const r of waiting.splice(0)) r();
  };
  const releaseOne = () => waiting.shift()?.();
  return { processor, state, releaseAll, releaseOne, held: () => waiting.length };
}

describe('worker.pause() / resume()', () => {
  const t = useRedis();

  it('stops leasing, hands back jobs leased ahead at once, lets running jobs finish and be acked', async () => {
    t.newPrefix();
    const queue = t.queue('wpause');
    const g = gate();
    let quick = true;
    const worker: Worker = t.worker('wpause', async (job) => (quick ? job.id : g.processor()), { concurrency: 2 });
    const completed: string[] = [];
    worker.on('completed', (job) => completed.push(job.id));
    // short jobs first, so that the worker knows jobs are short and leases ahead
    await queue.addBulk(Array.from({ length: 4 }, () => ({ name: 'q', data: null })));
    await waitFor(() => completed.length === 4, 10_000, 'the quick jobs');
    quick = false;
    await queue.addBulk(Array.from({ length: 40 }, () => ({ name: 'slow', data: null })));
    await waitFor(() => g.held() === 2, 10_000, 'two jobs running');
    await waitFor(() => worker.health().prefetched > 0, 10_000, 'jobs leased ahead');

    const pausedEvent = waitForEvent(worker, 'paused', 10_000);
    let pauseDone = false;
    const pausing = worker.pause().then(() => {
      pauseDone = true;
    });
    expect(worker.isPaused()).toBe(true);
    // the jobs leased ahead go back promptly: only the two running jobs stay active in Redis
    await waitFor(async () => (await queue.getJobCounts()).active === 2, 5000, 'leased-ahead jobs handed back');
    expect(worker.health().prefetched).toBe(0);
    expect(pauseDone).toBe(false); // it waits for the running jobs
    g.releaseAll();
    await pausing;
    await pausedEvent;
    expect(g.state.running).toBe(0);
    const counts = await queue.getJobCounts();
    expect(counts.active).toBe(0);
    expect(counts.completed).toBe(6); // the two running jobs were acked
    expect(counts.waiting).toBe(38);
    // nothing more starts while paused, and the worker stays healthy
    const startedWhilePaused = g.state.started;
    await queue.add('more', null);
    const other = t.worker('wpause', async (job) => job.id, { concurrency: 5 });
    await waitFor(async () => (await queue.getJobCounts()).waiting === 0, 10_000, 'another worker took the handed-back jobs');
    expect(g.state.started).toBe(startedWhilePaused);
    expect(worker.health()).toMatchObject({ healthy: true, paused: true, activeJobs: 0, prefetched: 0 });
    await other.close();

    const resumed = waitForEvent(worker, 'resumed', 5000);
    worker.resume();
    await resumed;
    expect(worker.isPaused()).toBe(false);
    await queue.add('after', null);
    await waitFor(() => g.held() === 1, 10_000, 'the resumed worker runs a job');
    g.releaseAll();
  });

  it('pause(true) resolves at once while jobs still run; they finish and are acked', async () => {
    t.newPrefix();
    const queue = t.queue('wpause-nowait');
    const g = gate();
    const worker = t.worker('wpause-nowait', g.processor, { concurrency: 3 });
    await queue.addBulk(Array.from({ length: 5 }, () => ({ name: 's', data: null })));
    await waitFor(() => g.held() === 3, 10_000, 'three jobs running');
    const paused = waitForEvent(worker, 'paused', 5000);
    await worker.pause(true);
    await paused;
    expect(g.held()).toBe(3);
    g.releaseAll();
    await waitFor(async () => (await queue.getJobCounts()).completed === 3, 10_000, 'the running jobs acked');
    const counts = await queue.getJobCounts();
    expect(counts).toMatchObject({ active: 0, waiting: 2 });
    expect(g.state.started).toBe(3);
  });

  it('a paused idle worker leaves new work to the other workers and stays healthy past its watchdog', async () => {
    t.newPrefix();
    const queue = t.queue('wpause-idle');
    const seenByPaused: string[] = [];
    const paused = t.worker('wpause-idle', async (job) => seenByPaused.push(job.id), { blockMs: 200, watchdogGraceMs: 100 });
    await paused.waitUntilReady();
    await paused.pause();
    const done: string[] = [];
    const other = t.worker('wpause-idle', async (job) => job.id, { blockMs: 200 });
    other.on('completed', (job) => done.push(job.id));
    await other.waitUntilReady();
    for (let i = 0; i < 5; i++) {
      await queue.add('one', i);
      await waitFor(() => done.length === i + 1, 5000, `job ${i} run by the other worker`);
    }
    expect(seenByPaused).toEqual([]);
    // well past blockMs + watchdogGraceMs: a paused worker neither calls nor blocks
    await waitFor(() => paused.health().lastFetchAgeMs > 600, 5000, 'time past the watchdog');
    expect(paused.health()).toMatchObject({ healthy: true, paused: true, state: 'running' });
  });

  // regression: pausing a worker blocked idle in Redis cut its blocking connection (the close path), so
  // after resume() it never woke for work and health() called it unhealthy
  it('a worker paused while blocked idle in Redis keeps its blocking connection, and runs work after resume()', async () => {
    t.newPrefix();
    const queue = t.queue('wpause-blocked');
    const ran: string[] = [];
    const worker = t.worker('wpause-blocked', async (job) => ran.push(job.id));
    await worker.waitUntilReady();
    const blockedInRedis = async () => {
      const clients = String(await t.admin.client('LIST'));
      // flags=b: blocked in a command now (cmd= names the last command, ended or not)
      return clients.split('\n').some((line) => line.includes(`name=sluice:blocking:${worker.id}`) && /flags=\w*b/.test(line));
    };
    await waitFor(blockedInRedis, 10_000, 'the worker blocks on its wake marker');
    await worker.pause();
    await waitFor(async () => !(await blockedInRedis()), 3000, 'the blocking read ended (blockMs is 5 s)');
    expect(worker.health()).toMatchObject({ healthy: true, paused: true, blockingConnection: 'ready' });
    worker.resume();
    await waitFor(blockedInRedis, 10_000, 'the worker blocks again');
    const job = await queue.add('after', null);
    await waitFor(() => ran.includes(job.id), 5000, 'the resumed worker woke for the job');
  });
});

describe('worker.pause() and close()', () => {
  const t = useRedis();

  it('a paused worker closes promptly, and a pause before it runs holds from the start', async () => {
    t.newPrefix();
    const queue = t.queue('wpause-close');
    await queue.add('one', null);
    const ran: string[] = [];
    const worker = t.worker('wpause-close', async (j) => ran.push(j.id), { autorun: false });
    await worker.pause();
    expect(worker.isPaused()).toBe(true);
    worker.run();
    await worker.waitUntilReady();
    expect(worker.health().paused).toBe(true);
    const other = t.worker('wpause-close', async (j) => j.id);
    await waitFor(async () => (await queue.getJobCounts()).completed === 1, 10_000, 'the other worker ran the job');
    expect(ran).toEqual([]);
    await other.close();
    const started = performance.now();
    await worker.close();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(worker.health().state).toBe('closed');
  });
});

describe('worker controls on a partitioned queue', () => {
  const t = useRedis();

  it('pause, resume and a raised concurrency act on every partition', async () => {
    t.newPrefix();
    const queue = t.queue('wpart', { partitions: 3 });
    const g = gate();
    const worker = t.worker('wpart', g.processor, { partitions: 3, concurrency: 1 });
    await worker.waitUntilReady();
    await worker.pause();
    await queue.addBulk(Array.from({ length: 9 }, (_, i) => ({ name: 'j', data: i })));
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 9 });
    expect(g.state.started).toBe(0);
    worker.concurrency = 3;
    worker.resume();
    await waitFor(() => g.held() === 3, 10_000, 'three jobs running');
    const pausing = worker.pause();
    expect(g.state.maxRunning).toBe(3);
    g.releaseAll();
    await pausing;
    expect(await queue.getJobCounts('waiting', 'active', 'completed')).toEqual({ waiting: 6, active: 0, completed: 3 });
    worker.resume();
    await waitFor(
      async () => {
        g.releaseAll();
        return (await queue.getJobCounts('completed')).completed === 9;
      },
      10_000,
      'all done after resume',
    );
  });
});

describe('worker.concurrency at run time', () => {
  const t = useRedis();

  it('refuses anything but a positive integer', async () => {
    t.newPrefix();
    const worker = t.worker('wconc-bad', async () => 1, { concurrency: 2 });
    for (const bad of [0, -1, 1.5, Number.NaN, '3' as unknown as number]) {
      expect(() => {
        worker.concurrency = bad;
      }).toThrow(InvalidOptionError);
    }
    expect(worker.concurrency).toBe(2);
  });

  it('raising it leases more at once; lowering it starts nothing until fewer than the new value run', async () => {
    t.newPrefix();
    const queue = t.queue('wconc');
    const g = gate();
    const worker = t.worker('wconc', g.processor, { concurrency: 1 });
    await queue.addBulk(Array.from({ length: 12 }, () => ({ name: 's', data: null })));
    await waitFor(() => g.held() === 1, 10_000, 'one job running');
    expect(worker.concurrency).toBe(1);
    worker.concurrency = 4;
    expect(worker.concurrency).toBe(4);
    await waitFor(() => g.held() === 4, 10_000, 'four jobs running after the raise');
    expect(g.state.maxRunning).toBe(4);

    worker.concurrency = 2;
    // two of the four finish: still two running, so nothing new may start
    const started = g.state.started;
    g.releaseOne();
    g.releaseOne();
    await waitFor(async () => (await queue.getJobCounts()).completed === 2, 10_000, 'two acked');
    expect(g.state.started).toBe(started);
    expect(g.state.running).toBe(2);
    // one more finishes: one runs, under the new value of 2, so one starts
    g.releaseOne();
    await waitFor(() => g.state.started === started + 1, 10_000, 'one job started under the new concurrency');
    expect(g.state.running).toBe(2);
    g.releaseAll();
    await waitFor(async () => (await queue.getJobCounts()).completed >= 5, 10_000, 'more done');
    expect(g.state.maxRunning).toBe(4);
    g.releaseAll();
    await waitFor(
      async () => {
        g.releaseAll();
        return (await queue.getJobCounts()).completed === 12;
      },
      20_000,
      'all done',
    );
    expect(worker.health().activeJobs).toBe(0);
  });
});
