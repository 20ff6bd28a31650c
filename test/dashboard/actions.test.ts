// The dashboard's actions through its HTTP API, as the page sends them (a same-origin POST with
// the CSRF token from api/session), against a real Redis: each one does what it says, checked in
// Redis — remove deletes the job, promote makes a delayed job waiting, resume lifts the pause,
// retry-failed makes every failed job waiting again, clean deletes the finished jobs.
// (api.test.ts covers retry and the refusals, frameworks.test.ts pause.)
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, type ActionResponse, type Job, type SessionResponse } from '../../src/index.js';
import { queueKeys } from '../../src/redis/keys.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { seedQueue, serve, type Seeded } from './fixture.js';

const t = useRedis();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((c) => c()));
});

/** A dashboard on a free port, and a `post` that sends an action as the page does. */
async function open(): Promise<{ post(path: string): Promise<Response> }> {
  const dashboard = createDashboard({ connection: t.url, prefix: t.prefix });
  const server = await serve(dashboard);
  closers.push(server.close, () => dashboard.close());
  const { csrfToken } = (await (await fetch(`${server.url}/api/session`)).json()) as SessionResponse;
  return {
    post: (path) =>
      fetch(`${server.url}/api/queues/${path}`, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken, Origin: server.url } }),
  };
}

async function seeded(name: string): Promise<Seeded> {
  const s = await seedQueue(t, name);
  closers.push(async () => s.release());
  return s;
}

/** The answer of a successful action. */
async function done(res: Response): Promise<ActionResponse> {
  expect(res.status).toBe(200);
  return (await res.json()) as ActionResponse;
}

const state = async (s: Seeded, id: string) => (await s.queue.getJob(id))?.getState();

describe('dashboard actions', () => {
  it('remove deletes a waiting job (its stream entry), and refuses an active one', async () => {
    t.newPrefix();
    const s = await seeded('orders');
    const { post } = await open();
    const keys = queueKeys(t.prefix, 'orders');
    const [gone, kept] = s.ids.waiting as [string, string];
    // a plain waiting job is its stream entry (its id), not read by the group yet
    expect(await t.admin.xrange(keys.stream, gone, gone)).toHaveLength(1);

    expect(await done(await post(`orders/groups/default/jobs/${gone}/remove`))).toEqual({ ok: true });
    expect(await t.admin.xrange(keys.stream, gone, gone)).toEqual([]);
    expect(await t.admin.xrange(keys.stream, kept, kept)).toHaveLength(1);
    expect(await s.queue.getJob(gone)).toBeUndefined();
    expect((await s.queue.getJobs('waiting')).map((j) => j.id)).toEqual([kept]);
    expect((await s.queue.getJobCounts()).waiting).toBe(1);

    const active = await post(`orders/groups/default/jobs/${s.ids.active}/remove`);
    expect(active.status).toBe(409);
    expect(((await active.json()) as { code: string }).code).toBe('JOB_ACTIVE');
    expect(await state(s, s.ids.active)).toBe('active');
  });

  it('promote makes a delayed job waiting now', async () => {
    t.newPrefix();
    const s = await seeded('orders');
    const { post } = await open();
    expect(await state(s, s.ids.delayed)).toBe('delayed');

    expect(await done(await post(`orders/groups/default/jobs/${s.ids.delayed}/promote`))).toEqual({ ok: true });
    expect(await t.admin.zscore(queueKeys(t.prefix, 'orders').delayed, s.ids.delayed)).toBeNull();
    // the group is paused (seedQueue): the promoted job waits with the others
    expect(await state(s, s.ids.delayed)).toBe('waiting');
    expect(await s.queue.getJobCounts()).toMatchObject({ delayed: 0, waiting: 3 });
  });

  it('resume lifts the pause of the group, and its workers take the waiting jobs', async () => {
    t.newPrefix();
    const s = await seeded('orders');
    const { post } = await open();
    const paused = queueKeys(t.prefix, 'orders').group('default').paused;
    expect(await t.admin.exists(paused)).toBe(1);

    expect(await done(await post('orders/groups/default/resume'))).toEqual({ ok: true });
    expect(await t.admin.exists(paused)).toBe(0);
    expect(await s.queue.isPaused()).toBe(false);
    s.release(); // the held job ends: the worker's one slot is free for the waiting ones
    const [a, b] = s.ids.waiting as [string, string];
    await waitFor(async () => (await state(s, a)) === 'completed' && (await state(s, b)) === 'completed', 10_000, 'the waiting jobs run');

    expect(await done(await post('orders/groups/default/pause'))).toEqual({ ok: true });
    expect(await t.admin.exists(paused)).toBe(1);
  });

  it('retry-failed makes every failed job of the group waiting again, and says how many', async () => {
    t.newPrefix();
    const queue = t.queue('billing');
    const failed: Job[] = [];
    const worker = t.worker(
      'billing',
      async () => {
        throw new Error('gateway down');
      },
      { allowErrors: true },
    );
    worker.on('failed', (job: Job | undefined) => void (job && failed.push(job)));
    const jobs = await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'charge', data: { i }, opts: { attempts: 1 } })));
    await waitFor(() => failed.length === 3, 10_000, 'three failures');
    await queue.pause(); // so that the retried jobs stay waiting to be looked at
    const { post } = await open();

    expect(await done(await post('billing/groups/default/retry-failed'))).toEqual({ ok: true, count: 3 });
    expect(await t.admin.zcard(queueKeys(t.prefix, 'billing').group('default').failed)).toBe(0);
    expect(await queue.getJobCounts()).toMatchObject({ failed: 0, waiting: 3 });
    for (const job of jobs) expect(await (await queue.getJob(job.id))!.getState()).toBe('waiting');
    expect(await done(await post('billing/groups/default/retry-failed'))).toEqual({ ok: true, count: 0 });
  });

  it('clean deletes the finished jobs of a state older than graceMs, and wants a state', async () => {
    t.newPrefix();
    const s = await seeded('orders');
    const { post } = await open();
    const keys = queueKeys(t.prefix, 'orders');

    expect((await post('orders/groups/default/clean')).status).toBe(400);
    // nothing finished an hour ago: a grace of an hour cleans nothing
    expect(await done(await post('orders/groups/default/clean?state=completed&graceMs=3600000'))).toEqual({ ok: true, count: 0 });
    expect(await t.admin.exists(keys.job(s.ids.completed))).toBe(1);

    expect(await done(await post('orders/groups/default/clean?state=completed'))).toEqual({ ok: true, count: 1 });
    expect(await t.admin.exists(keys.job(s.ids.completed))).toBe(0);
    expect(await t.admin.zcard(keys.group('default').completed)).toBe(0);
    expect(await s.queue.getJob(s.ids.completed)).toBeUndefined();
    expect(await state(s, s.ids.failed)).toBe('failed');

    expect(await done(await post('orders/groups/default/clean?state=failed'))).toEqual({ ok: true, count: 1 });
    expect(await t.admin.exists(keys.job(s.ids.failed))).toBe(0);
    expect(await s.queue.getJobCounts()).toMatchObject({ completed: 0, failed: 0, waiting: 2, active: 1, delayed: 1 });
  });
});
