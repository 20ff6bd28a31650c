// The queue's reads and cleans the BullMQ way, against a real Redis: getJobs over several states
// with an order, getJobs / getJobIds of BullMQ's states (waiting-children, prioritized, paused),
// getJobCounts(...states) as numbers, getJobCountByTypes, and clean() of waiting, delayed,
// prioritised and paused jobs, in bounded calls.
import { describe, expect, it } from 'vitest';
import { FlowProducer, InvalidOptionError, type Job, QueueEvents } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('getJobs over several states', () => {
  const t = useRedis();

  it('pages over the states one after the other, asc puts finished jobs oldest first', async () => {
    t.newPrefix();
    const queue = t.queue('get-multi');
    // five completed (c0 oldest), three failed, two waiting, one delayed
    const done: Job[] = [];
    const worker = t.worker('get-multi', async (j) => {
      if (j.name.startsWith('f')) throw new Error('no');
      return j.name;
    });
    worker.on('completed', (j) => done.push(j));
    worker.on('failed', (j) => j && done.push(j));
    for (const name of ['c0', 'c1', 'c2', 'c3', 'c4', 'f0', 'f1', 'f2']) {
      await queue.add(name, null, { attempts: 1 });
      await waitFor(() => done.length === Number(name[1]) + (name[0] === 'f' ? 6 : 1), 10_000, name);
    }
    await worker.close();
    await queue.add('w0', null);
    await queue.add('w1', null);
    await queue.add('d0', null, { delay: 60_000 });
    const names = (jobs: Job[]) => jobs.map((j) => j.name);

    expect(names(await queue.getJobs(['completed', 'failed'], 0, 99))).toEqual(['c4', 'c3', 'c2', 'c1', 'c0', 'f2', 'f1', 'f0']);
    expect(names(await queue.getJobs(['completed', 'failed'], 0, 99, true))).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'f0', 'f1', 'f2']);
    // a page across the boundary of two states, asc
    expect(names(await queue.getJobs(['completed', 'failed'], 3, 5, true))).toEqual(['c3', 'c4', 'f0']);
    expect(names(await queue.getJobs(['failed', 'waiting', 'delayed'], 2, 4))).toEqual(['f0', 'w0', 'w1']);
    expect(names(await queue.getJobs(['waiting', 'delayed'], 0, 10, false))).toEqual(['w0', 'w1', 'd0']);
    // one state as an array, and the old form with { group } fourth
    expect(names(await queue.getJobs(['failed'], 0, 0))).toEqual(['f2']);
    expect(names(await queue.getJobs('failed', 0, 0, { group: 'default' }))).toEqual(['f2']);
    expect(names(await queue.getJobs('completed', 0, 1, true, { group: 'default' }))).toEqual(['c0', 'c1']);
    await expect(queue.getJobs(['completed', 'nope' as 'failed'])).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.getJobs(['completed', 'failed'], 0, 5000)).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe("getJobs and getJobIds of BullMQ's states: waiting-children, prioritized, paused", () => {
  const t = useRedis();
  const names = (jobs: Job[]) => jobs.map((j) => j.name);

  it('a live flow parent is counted and listed in waiting-children, alone or with other states', async () => {
    t.newPrefix();
    const queue = t.queue('parents');
    const producer = t.track(new FlowProducer({ connection: t.url, prefix: t.prefix, logger: quietLogger }));
    const flows = [];
    for (const name of ['p0', 'p1']) {
      flows.push(await producer.add({ name, queueName: 'parents', children: [{ name: `${name}-child`, queueName: 'parts' }] }));
    }
    await queue.add('w0', null);
    expect((await queue.getJobCounts())['waiting-children']).toBe(2);
    expect(await queue.getJobCounts('waiting-children', 'waiting')).toEqual({ 'waiting-children': 2, waiting: 1 });
    // oldest first, as the single-state read lists them
    expect(names(await queue.getJobs('waiting-children'))).toEqual(['p0', 'p1']);
    expect(await queue.getJobIds('waiting-children', 1, 1)).toEqual([flows[1]!.job.id]);
    expect(names(await queue.getJobs(['waiting-children', 'waiting'], 0, 9))).toEqual(['p0', 'p1', 'w0']);
    expect(names(await queue.getJobs(['waiting', 'waiting-children'], 1, 1, true))).toEqual(['p0']);
    // the parent leaves waiting-children when its child is done
    const done: Job[] = [];
    t.worker('parts', async () => 'ok').on('completed', (j) => done.push(j));
    await waitFor(() => done.length === 2, 10_000, 'both children done');
    await waitFor(async () => (await queue.getJobCounts())['waiting-children'] === 0, 5000, 'the parents waiting');
    expect(await queue.getJobs(['waiting-children'])).toEqual([]);
    expect(names(await queue.getJobs('waiting', 0, 9)).sort()).toEqual(['p0', 'p1', 'w0']);
  });

  it('prioritized lists the waiting jobs that have a priority, in the order they run, paged', async () => {
    t.newPrefix();
    const queue = t.queue('prio-list');
    await queue.add('plain', null);
    await queue.add('low', null, { priority: 9 });
    await queue.add('high', null, { priority: 1 });
    await queue.add('mid', null, { priority: 5 });
    expect(names(await queue.getJobs('prioritized'))).toEqual(['high', 'mid', 'low']);
    expect(names(await queue.getJobs('prioritized', 1, 2))).toEqual(['mid', 'low']);
    const high = (await queue.getJobs('prioritized', 0, 0))[0]!;
    expect(await queue.getJobIds('prioritized', 0, 0)).toEqual([high.id]);
    expect(await queue.getJobIds('prioritized', 5, 9)).toEqual([]);
    expect(names(await queue.getJobs(['prioritized', 'waiting'], 2, 4))).toEqual(['low', 'plain', 'high']);
    expect(names(await queue.getJobs(['wait', 'prioritized'], 0, 99, true))).toEqual(['plain', 'high', 'mid', 'low', 'high', 'mid', 'low']);
    // bounded like the other states: 1,000 at most per call
    await expect(queue.getJobs('prioritized', 0, 1000)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.getJobIds('prioritized', 0, 1000)).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('prioritized pages through more than one read holds', async () => {
    t.newPrefix();
    const queue = t.queue<number>('prio-many');
    await queue.addBulk(Array.from({ length: 1500 }, (_, i) => ({ name: 'p', data: i, opts: { priority: 1 + (i % 3) } })));
    const seen: number[] = [];
    for (let start = 0; start < 1500; start += 1000) {
      seen.push(...(await queue.getJobs('prioritized', start, start + 999)).map((j) => j.data));
    }
    expect(seen).toHaveLength(1500);
    expect(new Set(seen).size).toBe(1500);
    // priority 1 (i % 3 === 0) first, in the order added
    expect(seen.slice(0, 3)).toEqual([0, 3, 6]);
    expect(seen.at(-1)).toBe(1499); // the last of priority 3 (i % 3 === 2)
  });

  it('paused lists the waiting jobs while the group is paused, and none while it runs', async () => {
    t.newPrefix();
    const queue = t.queue('paused-list');
    await queue.add('a', null);
    await queue.add('b', null, { priority: 2 });
    await queue.createGroup('audit');
    expect(await queue.getJobs('paused')).toEqual([]);
    expect(await queue.getJobIds('paused')).toEqual([]);
    expect(names(await queue.getJobs(['paused', 'waiting'], 0, 9))).toEqual(['a', 'b']);
    await queue.pause();
    expect(names(await queue.getJobs('paused'))).toEqual(['a', 'b']);
    expect(await queue.getJobIds('paused', 1, 1)).toEqual([(await queue.getJobs('prioritized'))[0]!.id]);
    expect(names(await queue.getJobs(['paused', 'waiting'], 0, 9))).toEqual(['a', 'b', 'a', 'b']);
    expect(names(await queue.getJobs(['paused'], 1, 5, false))).toEqual(['b']);
    // pausing is per group: the audit group runs
    expect(await queue.getJobs('paused', 0, -1, { group: 'audit' })).toEqual([]);
    await queue.resume();
    expect(await queue.getJobs(['paused'])).toEqual([]);
    await expect(queue.getJobIds('bogus' as 'paused')).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('getJobCounts(...states) and getJobCountByTypes', () => {
  const t = useRedis();

  it('returns numbers for the states asked; the no-argument form is unchanged', async () => {
    t.newPrefix();
    const queue = t.queue('counts');
    await queue.add('a', null);
    await queue.add('b', null, { priority: 3 });
    await queue.add('c', null, { priority: 1 });
    await queue.add('d', null, { delay: 60_000 });
    expect(await queue.getJobCounts()).toEqual({
      waiting: 3,
      active: 0,
      delayed: 1,
      completed: 0,
      failed: 0,
      paused: false,
      'waiting-children': 0,
    });
    expect(await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'paused')).toEqual({
      waiting: 3,
      delayed: 1,
      prioritized: 2,
      paused: 0,
    });
    await queue.pause();
    expect(await queue.getJobCounts('paused', 'wait', { group: 'default' })).toEqual({ paused: 3, wait: 3 });
    expect(await queue.getJobCountByTypes('paused', 'delayed')).toBe(4);
    expect(await queue.getJobCountByTypes('completed', 'failed')).toBe(0);
    await expect(queue.getJobCounts('waiting', 'bogus' as 'waiting')).rejects.toBeInstanceOf(InvalidOptionError);
  });
});

describe('clean() of waiting states', () => {
  const t = useRedis();

  it('deletes waiting jobs older than the grace from the stream, the wait list and the priority set; newer ones stay', async () => {
    t.newPrefix();
    const queue = t.queue('clean-wait');
    await queue.add('plain', null);
    await queue.add('with-id', null, { jobId: 'keep-me-not' });
    await queue.add('prio', null, { priority: 2 });
    await queue.add('lifo', null, { lifo: true });
    // the cut-off: Redis time now; jobs added after it stay
    const cutoff = (await queue.getJobs('waiting', 0, 10)).length;
    expect(cutoff).toBe(4);
    const events = t.track(new QueueEvents('clean-wait', { connection: t.url, prefix: t.prefix }));
    await events.waitUntilReady();
    // (a wide margin: the young jobs must stay younger than the grace on a loaded machine)
    await waitFor(async () => Date.now() > (await queue.getJob('keep-me-not'))!.timestamp + 1500, 3000, 'time to pass');
    await queue.add('young-plain', null);
    await queue.add('young-prio', null, { priority: 2 });
    const cleaned = waitForEvent<[{ count: number }]>(events, 'cleaned', 5000);
    const ids = await queue.clean(1000, 0, 'wait');
    expect(ids).toHaveLength(4);
    expect((await cleaned)[0].count).toBe(4);
    const left = (await queue.getJobs('waiting', 0, 10)).map((j) => j.name).sort();
    expect(left).toEqual(['young-plain', 'young-prio']);
    expect(await queue.getJob('keep-me-not')).toBeUndefined();
    // what is left runs
    const ran: string[] = [];
    t.worker('clean-wait', async (j) => ran.push(j.name));
    await waitFor(() => ran.length === 2, 10_000, 'the young jobs run');
    expect(ran.sort()).toEqual(['young-plain', 'young-prio']);
  });

  it("a group's clean consumes its own stream entries only: the other groups keep their jobs", async () => {
    t.newPrefix();
    const queue = t.queue('clean-groups');
    await queue.createGroup('default');
    await queue.createGroup('audit');
    await queue.add('p1', null);
    await queue.add('p2', null, { jobId: 'own-id' });
    await queue.add('p3', null, { lifo: true });
    await waitFor(async () => Date.now() > (await queue.getJob('own-id'))!.timestamp + 5, 1000, 'time to pass');
    expect(await queue.clean(0, 0, 'waiting', { group: 'audit' })).toHaveLength(3);
    expect(await queue.getJobCounts('waiting', { group: 'audit' })).toEqual({ waiting: 0 });
    expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 3 });
    const ran: string[] = [];
    t.worker('clean-groups', async (j) => ran.push(j.name));
    await waitFor(() => ran.length === 3, 10_000, 'the default group runs its three jobs');
  });

  it('prioritized, delayed and paused; a limit; bounded calls over many jobs', async () => {
    t.newPrefix();
    const queue = t.queue('clean-more');
    await queue.addBulk(Array.from({ length: 1200 }, (_, i) => ({ name: 'p', data: i, opts: { priority: 1 + (i % 7) } })));
    await queue.add('plain', null);
    await queue.add('d', null, { delay: 60_000 });
    await waitFor(async () => Date.now() > (await queue.getJobs('delayed', 0, 0))[0]!.timestamp + 5, 1000, 'time to pass');
    // paused: nothing while the group runs
    expect(await queue.clean(0, 0, 'paused')).toEqual([]);
    expect(await queue.clean(0, 100, 'prioritized')).toHaveLength(100);
    expect(await queue.getJobCounts('prioritized')).toEqual({ prioritized: 1100 });
    expect(await queue.clean(0, 0, 'prioritized')).toHaveLength(1100);
    expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 1, delayed: 1 });
    expect(await queue.clean(0, 0, 'delayed')).toHaveLength(1);
    await queue.pause();
    expect(await queue.clean(0, 0, 'paused')).toHaveLength(1);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
    await expect(queue.clean(0, 0, 'active' as 'completed')).rejects.toBeInstanceOf(InvalidOptionError);
  });

  // (the chaos fuzz found all three)
  it('a fractional limit is refused, a fractional grace is taken, a grace reaching before the epoch cleans nothing', async () => {
    t.newPrefix();
    const queue = t.queue('clean-odd');
    await queue.add('p', null);
    await queue.add('d', null, { delay: 60_000 });
    for (const state of ['waiting', 'delayed', 'prioritized'] as const) {
      await expect(queue.clean(0, 1.5, state)).rejects.toBeInstanceOf(InvalidOptionError);
      expect(await queue.clean(1e300, 0, state)).toEqual([]);
    }
    expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 1, delayed: 1 });
    // a fractional grace made a cut-off that is no stream id
    expect(await queue.clean(0.5, 0, 'waiting')).toHaveLength(1);
    expect(await queue.clean(0.5, 0, 'delayed')).toHaveLength(1);
    expect(await queue.clean(0.5, 0, 'completed')).toEqual([]);
  });
});
