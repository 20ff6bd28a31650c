// Reads are bounded: lists come in pages (at most 1,000 jobs per call, a cursor to go on),
// counts read no stream entries, and getGroups shows every group jobs are kept for, with its
// backlog: the implicit default group too, and createGroup says whether it keeps it.
import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { InvalidOptionError, type Queue } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

/** How many times Redis ran each command so far (INFO commandstats). */
async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const info = await redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[m[1]!] = Number(m[2]);
  return calls;
}

/** Every job of a state, read with the cursor, `count` per page. */
async function allPages(queue: Queue<number>, state: 'waiting' | 'delayed', count: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await queue.getJobsPage(state, { count, ...(cursor ? { cursor } : {}) });
    expect(page.jobs.length).toBeLessThanOrEqual(count);
    ids.push(...page.jobs.map((j) => j.id));
    if (page.next === null) return ids;
    cursor = page.next;
  }
  throw new Error('no end of pages');
}

describe('bounded reads, counts and groups', () => {
  const t = useRedis();

  it('getGroups lists the implicit default group while jobs wait for it, with its backlog, as the counts do', async () => {
    t.newPrefix();
    const queue = t.queue<number>('implicit');
    expect(await queue.getGroups()).toMatchObject([{ name: 'default', implicit: true, unread: 0, waiting: 0 }]);
    await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'n', data: i })));
    await queue.add('n', 99, { priority: 3 });
    const [group] = await queue.getGroups();
    expect(group).toEqual({
      name: 'default',
      implicit: true,
      lastDeliveredId: '0-0',
      unread: 7,
      unreadExact: true,
      waiting: 8,
      consumers: 0,
    });
    expect((await queue.getJobCounts()).waiting).toBe(8);
    // its first worker makes it a consumer group like any other
    const ran: number[] = [];
    t.worker<number>('implicit', async (job) => void ran.push(job.data), { blockMs: 300 });
    await waitFor(() => ran.length === 8, 5000, 'the default group ran its jobs');
    const [after] = await queue.getGroups();
    expect(after).toMatchObject({ name: 'default', implicit: false, unread: 0, waiting: 0, consumers: 1 });

    // the admin calls see the same jobs: drain removes as many as getGroups showed waiting
    t.newPrefix();
    const other = t.queue<number>('implicit-drain');
    await other.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'n', data: i, ...(i % 2 ? { opts: { lifo: true } } : {}) })));
    const [listed] = await other.getGroups();
    expect(listed).toMatchObject({ name: 'default', implicit: true, waiting: 6 });
    expect(await other.drain()).toBe(listed!.waiting);
    expect((await other.getGroups())[0]).toMatchObject({ name: 'default', waiting: 0 });
    expect((await other.getJobCounts()).waiting).toBe(0);
  });

  it('createGroup keeps the default group by default (delayed jobs too) and shows its backlog', async () => {
    t.newPrefix();
    const queue = t.queue<number>('keep');
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', data: i })));
    await queue.add('n', 10, { priority: 1 });
    expect(await queue.createGroup('audit')).toBe(true);
    const groups = await queue.getGroups();
    expect(groups.map((g) => [g.name, g.implicit, g.unread, g.waiting])).toEqual([
      ['audit', false, 0, 0],
      ['default', false, 5, 6],
    ]);
    expect((await queue.getJobCounts()).waiting).toBe(6);
    expect((await queue.getJobCounts({ group: 'audit' })).waiting).toBe(0);

    // a queue holding only a delayed job: it was added for the default group as well
    t.newPrefix();
    const later = t.queue<number>('keep-delayed');
    await later.add('n', 1, { delay: 150 });
    await later.createGroup('audit');
    expect((await later.getGroups()).map((g) => g.name)).toEqual(['audit', 'default']);
    const got: string[] = [];
    t.worker<number>('keep-delayed', async () => void got.push('default'), { blockMs: 300 });
    t.worker<number>('keep-delayed', async () => void got.push('audit'), { group: 'audit', blockMs: 300 });
    await waitFor(() => got.length === 2, 5000, 'both groups ran the delayed job');
    expect(got.sort()).toEqual(['audit', 'default']);
  });

  it('createGroup with keepDefault: false leaves the default group out and removes what was placed for it alone', async () => {
    t.newPrefix();
    const queue = t.queue<number>('drop-default');
    await queue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'n', data: i })));
    const prio = await queue.add('n', 10, { priority: 1 });
    await queue.add('n', 20, { delay: 150 });
    await expect(queue.createGroup('x', { keepDefault: 'no' as unknown as boolean })).rejects.toBeInstanceOf(InvalidOptionError);
    expect(await queue.createGroup('audit', { from: 'start', keepDefault: false })).toBe(true);
    expect((await queue.getGroups()).map((g) => [g.name, g.unread])).toEqual([['audit', 5]]);
    // the prioritised job was placed for the default group only: it is gone, record and all
    expect(await t.admin.exists(queue.keys.job(prio.id), queue.keys.group('default').prio)).toBe(0);
    const got: number[] = [];
    t.worker<number>('drop-default', async (job) => void got.push(job.data), { group: 'audit', blockMs: 300 });
    await waitFor(() => got.length === 6, 5000, 'audit replays the stream and gets the delayed job');
    expect(got).toEqual([0, 1, 2, 3, 4, 20]);
    expect((await queue.getGroups()).map((g) => g.name)).toEqual(['audit']);
  });

  it('pages over 5,000 waiting jobs return each once, in lease order, by offsets and by cursor', async () => {
    t.newPrefix();
    const queue = t.queue<number>('pages');
    // redeliveries first (lifo: the newest first), then the stream, then priorities
    const lifo = await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'n', data: i, opts: { lifo: true } })));
    const plain = await queue.addBulk(Array.from({ length: 4980 }, (_, i) => ({ name: 'n', data: 100 + i })));
    const prio = await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'n', data: 9000 + i, opts: { priority: 10 - i } })));
    const expected = [...lifo.map((j) => j.id).reverse(), ...plain.map((j) => j.id), ...prio.map((j) => j.id).reverse()];
    expect(expected).toHaveLength(5000);

    const byOffsets: string[] = [];
    for (let start = 0; start < 5000; start += 1000) byOffsets.push(...(await queue.getJobIds('waiting', start, start + 999)));
    expect(byOffsets).toEqual(expected);
    // pages of 333 cross from the list into the stream and from the stream into the priorities
    expect(await allPages(queue, 'waiting', 333)).toEqual(expected);
    expect(await allPages(queue, 'waiting', 1000)).toEqual(expected);
    const page = await queue.getJobs('waiting', 4995, 4999);
    expect(page.map((j) => j.data)).toEqual([9004, 9003, 9002, 9001, 9000]);

    // one call reads at most 1,000 jobs; without an end it reads a page of 100
    expect(await queue.getJobIds('waiting')).toEqual(expected.slice(0, 100));
    await expect(queue.getJobs('waiting', 0, 4999)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.getJobsPage('waiting', { count: 1001 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.getJobsPage('waiting', { cursor: 'nonsense' })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.getJobIds('waiting', -1, 10)).rejects.toBeInstanceOf(InvalidOptionError);
  }, 60_000);

  it('pages over delayed jobs and retries merge them by due time, each once, by offsets and by cursor', async () => {
    t.newPrefix();
    const queue = t.queue<number>('delayed-pages');
    // retries of the default group, due in about a minute
    const failing = await queue.addBulk(
      Array.from({ length: 40 }, (_, i) => ({ name: 'f', data: i, opts: { attempts: 2, backoff: 60_000 } })),
    );
    const worker = t.worker<number>(
      'delayed-pages',
      async () => {
        throw new Error('later');
      },
      { concurrency: 40, blockMs: 300 },
    );
    await waitFor(async () => (await queue.getJobCounts()).delayed === 40, 5000, '40 retries scheduled');
    await worker.close();
    const early = await queue.addBulk(Array.from({ length: 1200 }, (_, i) => ({ name: 'd', data: i, opts: { delay: 30_000 } })));
    const late = await queue.addBulk(Array.from({ length: 1200 }, (_, i) => ({ name: 'd', data: i, opts: { delay: 120_000 } })));
    const retryIds = new Set(failing.map((j) => j.id));
    const fromCursor = await allPages(queue, 'delayed', 250);
    expect(fromCursor).toHaveLength(2440);
    expect(new Set(fromCursor).size).toBe(2440);
    // soonest first: the early delayed jobs, the retries, then the late ones, each in add order
    expect(fromCursor.slice(0, 1200)).toEqual(early.map((j) => j.id));
    expect(new Set(fromCursor.slice(1200, 1240))).toEqual(retryIds);
    expect(fromCursor.slice(1240)).toEqual(late.map((j) => j.id));
    const byOffsets: string[] = [];
    for (let start = 0; start < 2440; start += 1000) byOffsets.push(...(await queue.getJobIds('delayed', start, start + 999)));
    expect(byOffsets).toEqual(fromCursor);
    expect((await queue.getJobs('delayed', 1195, 1204)).map((j) => j.id)).toEqual(fromCursor.slice(1195, 1205));
  }, 60_000);

  it('counts after a removal past the cursor read no stream entries, and stay within the removed jobs', async () => {
    t.newPrefix();
    const queue = t.queue<number>('xdel');
    const ran: number[] = [];
    const worker = t.worker<number>('xdel', async (job) => void ran.push(job.data), { blockMs: 300 });
    await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'n', data: i })));
    await waitFor(() => ran.length === 3, 5000, 'the first three ran');
    await worker.close();
    const waiting = await queue.addBulk(Array.from({ length: 20 }, (_, i) => ({ name: 'n', data: 10 + i })));
    await queue.remove(waiting[5]!.id);
    // Redis cannot tell the default group's lag any more
    const [info] = (await t.admin.call('XINFO', 'GROUPS', queue.keys.stream)) as unknown[][];
    expect(info![info!.indexOf('lag') + 1]).toBeNull();

    const before = await commandCalls(t.admin);
    const counts = await queue.getJobCounts();
    const groups = await queue.getGroups();
    const after = await commandCalls(t.admin);
    for (const cmd of ['xrange', 'xrevrange', 'xread', 'xreadgroup']) expect(after[cmd] ?? 0, cmd).toBe(before[cmd] ?? 0);
    expect(counts.waiting).toBe(19);
    expect(groups).toMatchObject([{ name: 'default', unread: 19, unreadExact: false, waiting: 19 }]);

    // a second removal: an upper bound, too high by at most the other removed job
    await queue.remove(waiting[6]!.id);
    const second = (await queue.getJobCounts()).waiting;
    expect(second).toBeGreaterThanOrEqual(18);
    expect(second).toBeLessThanOrEqual(19);
    // once the workers read past the deleted entries, exact again
    t.worker<number>('xdel', async (job) => void ran.push(job.data), { blockMs: 300 });
    await waitFor(() => ran.length === 21, 5000, 'the rest ran');
    expect((await queue.getGroups())[0]).toMatchObject({ unread: 0, unreadExact: true, waiting: 0 });
    expect((await queue.getJobCounts()).waiting).toBe(0);
  });

  // regression: removing a waiting job with its own id left the counts and lists wrong, also after re-adding it
  it('removing a waiting job with its own id leaves counts and lists right, also after re-adding it', async () => {
    t.newPrefix();
    const queue = t.queue('own');
    await queue.add('a', 1, { jobId: 'own-1' });
    await queue.add('b', 2, { jobId: 'own-2' });
    await queue.remove('own-1');
    expect((await queue.getJobCounts()).waiting).toBe(1);
    await queue.remove('own-2');
    await queue.add('b', 3, { jobId: 'own-2' });
    expect(await queue.getJobIds('waiting')).toEqual(['own-2']);
    expect((await queue.getJobCounts()).waiting).toBe(1);
  });
});
