// The dashboard's HTTP API against a real Redis: the reads (overview, pages, job, timeline,
// blocked keys, schedulers), the guards (basic auth, token, CSRF and origin, read-only mode,
// headers), the express mount, and startDashboard's refusal of an exposed address.
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboard, DashboardExposedError, startDashboard, type DashboardOptions } from '../../src/index.js';
import type { JobDetailResponse, QueuesResponse, SessionResponse } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { queueOverview } from '../../src/ops/overview.js';
import { readGroupActivity } from '../../src/metrics/activity.js';
import { counted } from '../helpers/counting.js';
import { seedQueue, serve } from './fixture.js';

const t = useRedis();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((c) => c()));
});

async function open(opts: Partial<DashboardOptions> = {}): Promise<string> {
  const dashboard = createDashboard({ connection: t.url, prefix: t.prefix, ...opts });
  const server = await serve(dashboard);
  closers.push(server.close, () => dashboard.close());
  return server.url;
}

async function session(url: string, headers: Record<string, string> = {}): Promise<SessionResponse> {
  return (await fetch(`${url}/api/session`, { headers })).json() as Promise<SessionResponse>;
}

describe('dashboard API', () => {
  it('reads the overview, a page of jobs, a job with its timeline, schedulers and blocked keys', async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders');
    closers.push(async () => seeded.release());
    await seeded.queue.upsertScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'report' });
    const url = await open({
      activity: async () => ({ perMinute: { completed: [1, 2, 3], failed: [0, 1, 0] }, waitMs: { p50: 5, p95: 40 } }),
    });

    const all = (await (await fetch(`${url}/api/queues`)).json()) as QueuesResponse;
    expect(all.names).toEqual(['orders']);
    const [orders] = all.queues;
    expect(orders!.overview.groups[0]!.counts).toMatchObject({ waiting: 2, active: 1, delayed: 1, completed: 1, failed: 1, paused: true });
    expect(orders!.activity.default!.waitMs).toEqual({ p50: 5, p95: 40 });

    const failedPage = await (await fetch(`${url}/api/queues/orders/groups/default/jobs?state=failed`)).json();
    expect(failedPage.jobs.map((j: { id: string }) => j.id)).toEqual([seeded.ids.failed]);
    expect(failedPage.jobs[0].failedReason).toContain('card declined');

    const job = (await (await fetch(`${url}/api/queues/orders/groups/default/jobs/${seeded.ids.failed}`)).json()) as JobDetailResponse;
    expect(job.state).toBe('failed');
    expect(job.stacktrace.join('\n')).toContain('Error: card declined');
    expect(job.timeline.events.map((e) => e.event)).toEqual(['added', 'active', 'failed']);
    expect(job.timeline.bound).toBe(2000);
    expect(job.explain).toMatchObject({ state: 'failed', reason: 'dead-lettered' });

    const schedulers = await (await fetch(`${url}/api/queues/orders/schedulers`)).json();
    expect(schedulers.total).toBe(1);
    expect(schedulers.schedulers[0]).toMatchObject({ key: 'nightly', name: 'report', pattern: '0 3 * * *' });

    const workers = await (await fetch(`${url}/api/queues/orders/groups/default/workers`)).json();
    // the seeded queue's worker (holding the active job) is in the live registry
    expect(workers.workers).toHaveLength(1);
    expect(workers.workers[0]).toMatchObject({ group: 'default', pid: process.pid });

    expect((await fetch(`${url}/api/queues/nope`)).status).toBe(404);
    expect((await fetch(`${url}/api/queues/orders/groups/default/jobs?state=sideways`)).status).toBe(400);
    expect((await fetch(`${url}/api/queues/orders/groups/default/jobs/missing`)).status).toBe(404);
  });

  it('reads a partitioned queue: summed counts, and a failed job with its logs and timeline from its partition', async () => {
    t.newPrefix();
    const q = t.queue('sharded', { partitions: 3 });
    const failed: string[] = [];
    const w = t.worker(
      'sharded',
      async (job) => {
        await job.log(`tried ${job.id}`);
        throw new Error('boom');
      },
      { partitions: 3, allowErrors: true },
    );
    w.on('failed', (job: { id: string } | undefined) => void (job && failed.push(job.id)));
    const jobs = await q.addBulk(Array.from({ length: 6 }, (_, i) => ({ name: 'x', data: { i }, opts: { attempts: 1 } })));
    await waitFor(() => failed.length === 6, 10_000, 'six failures');
    const url = await open();
    const overview = await (await fetch(`${url}/api/queues/sharded`)).json();
    expect(overview.overview.partitions).toBe(3);
    expect(overview.overview.groups[0].counts.failed).toBe(6);
    const job = (await (await fetch(`${url}/api/queues/sharded/groups/default/jobs/${jobs[4]!.id}`)).json()) as JobDetailResponse;
    expect(job.state).toBe('failed');
    expect(job.logs).toEqual({ lines: [`tried ${jobs[4]!.id}`], total: 1 });
    expect(job.timeline.events.map((e) => e.event)).toEqual(['added', 'active', 'failed']);
  });

  it('reads for a queue overview exactly what queueOverview reads (and the activity source)', async () => {
    t.newPrefix();
    const q = t.queue('orders', { maxLength: 1000 });
    await q.createGroup('mail', { from: 'start' });
    await q.addBulk(Array.from({ length: 50 }, (_, i) => ({ name: 'o', data: { i } })));
    await q.add('later', {}, { delay: 60_000 });
    await q.upsertScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'n' });
    const url = await open();
    await fetch(`${url}/api/queues/orders`); // the dashboard's Queue is made (and its registry entry checked) once
    await queueOverview(q);
    const viaApi = await counted(t.admin, async () => (await fetch(`${url}/api/queues/orders`)).json());
    const direct = await counted(t.admin, async () => {
      await queueOverview(q);
      await readGroupActivity(q, 'mail');
    });
    expect(viaApi.calls).toEqual(direct.calls);
    expect(viaApi.value.overview.groups.map((g: { name: string }) => g.name)).toEqual(['mail']);
  });

  it('lists the ordering keys that hold all their slots', async () => {
    t.newPrefix();
    const q = t.queue('ledger');
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    closers.push(async () => release());
    t.worker('ledger', () => hold, { concurrency: 4 });
    for (let i = 0; i < 3; i++) await q.add('post', { i }, { orderingKey: 'acct-1' });
    await waitFor(async () => (await q.getJobCounts()).active === 1, 10_000, 'one job of the key running');
    const url = await open();
    const blocked = await (await fetch(`${url}/api/queues/ledger/groups/default/blocked-keys`)).json();
    expect(blocked.keys).toEqual([{ key: 'acct-1', waiting: 2, running: 1, reason: 'concurrency', until: null }]);
    expect(blocked.keyConcurrency).toBe(1);
  });

  it('sets a strict CSP, nosniff and no framing, and serves the script as a file', async () => {
    t.newPrefix();
    const url = await open();
    const page = await fetch(`${url}/`);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<script src="app.js" defer></script>');
    expect(html).not.toMatch(/<script>|<style>| on[a-z]+=/);
    const script = await fetch(`${url}/app.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).not.toContain('innerHTML');
  });

  it('refuses a POST without the CSRF token or from another origin', async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders');
    closers.push(async () => seeded.release());
    const url = await open();
    const { csrfToken } = await session(url);
    const retry = `${url}/api/queues/orders/groups/default/jobs/${seeded.ids.failed}/retry`;

    const none = await fetch(retry, { method: 'POST' });
    expect(none.status).toBe(403);
    expect((await none.json()).code).toBe('CSRF');
    const wrong = await fetch(retry, { method: 'POST', headers: { 'X-CSRF-Token': 'x'.repeat(43) } });
    expect(wrong.status).toBe(403);
    const foreign = await fetch(retry, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken, Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(await (await seeded.queue.getJob(seeded.ids.failed))!.getState()).toBe('failed');
    expect((await fetch(retry)).status).toBe(405);

    const ok = await fetch(retry, { method: 'POST', headers: { 'X-CSRF-Token': csrfToken, Origin: url } });
    expect(ok.status).toBe(200);
    expect(await (await seeded.queue.getJob(seeded.ids.failed))!.getState()).toBe('waiting');
  });

  it('refuses every action in read-only mode', async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders');
    closers.push(async () => seeded.release());
    const url = await open({ readOnly: true });
    const s = await session(url);
    expect(s.readOnly).toBe(true);
    for (const path of [`jobs/${seeded.ids.failed}/retry`, `jobs/${seeded.ids.waiting[0]}/remove`, 'resume', 'retry-failed']) {
      const res = await fetch(`${url}/api/queues/orders/groups/default/${path}`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': s.csrfToken, Origin: url },
      });
      expect(res.status).toBe(403);
      expect((await res.json()).code).toBe('READ_ONLY');
    }
    expect(await seeded.queue.isPaused()).toBe(true);
    expect((await seeded.queue.getJobCounts()).failed).toBe(1);
  });

  it('asks for basic auth, or a bearer token, when configured', async () => {
    t.newPrefix();
    const url = await open({ auth: { user: 'ops', password: 's3cret' } });
    const anonymous = await fetch(`${url}/api/session`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    expect((await fetch(`${url}/`)).status).toBe(401);
    const basic = (user: string, pass: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    expect((await fetch(`${url}/api/session`, { headers: basic('ops', 'wrong') })).status).toBe(401);
    expect((await fetch(`${url}/api/session`, { headers: basic('ops', 's3cret') })).status).toBe(200);

    const token = 'tok-0123456789abcdef';
    const tokenUrl = await open({ token });
    expect((await fetch(`${tokenUrl}/api/session`)).status).toBe(401);
    expect((await fetch(`${tokenUrl}/api/session`, { headers: { Authorization: 'Bearer nope-0123456789abcdef' } })).status).toBe(401);
    expect((await fetch(`${tokenUrl}/api/session`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    const once = await fetch(`${tokenUrl}/?token=${token}`, { redirect: 'manual' });
    expect(once.status).toBe(303);
    expect(once.headers.get('location')).toBe('/');
    const cookie = once.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await fetch(`${tokenUrl}/api/session`, { headers: { Cookie: cookie.split(';')[0]! } })).status).toBe(200);
  });

  it('serves the Prometheus text of the prefix at /metrics, behind the same credentials', async () => {
    t.newPrefix();
    await t.queue('orders').add('o', 1);
    const url = await open({ token: 'tok-0123456789abcdef' });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const scrape = await fetch(`${url}/metrics`, { headers: { Authorization: 'Bearer tok-0123456789abcdef' } });
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(await scrape.text()).toMatch(/^sluice_jobs\{queue="orders",group="default",state="waiting"\} 1$/m);
  });

  it('mounts in express under a path, passing other paths on', async () => {
    t.newPrefix();
    await t.queue('orders').add('x', {});
    const dashboard = createDashboard({ connection: t.url, prefix: t.prefix });
    const app = express();
    app.use('/sluice', dashboard);
    app.get('/health', (_req, res) => void res.send('fine'));
    const server = await serve(app);
    closers.push(server.close, () => dashboard.close());

    const bare = await fetch(`${server.url}/sluice`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/sluice/');
    const page = await fetch(`${server.url}/sluice/`);
    expect(await page.text()).toContain('app.js');
    const queues = (await (await fetch(`${server.url}/sluice/api/queues`)).json()) as QueuesResponse;
    expect(queues.names).toEqual(['orders']);
    expect(await (await fetch(`${server.url}/health`)).text()).toBe('fine');
  });

  it('answers under basePath on its own server, and refuses to listen on a public address without credentials', async () => {
    t.newPrefix();
    await expect(startDashboard({ connection: t.url, host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(DashboardExposedError);
    const running = await startDashboard({ connection: t.url, prefix: t.prefix, port: 0, basePath: '/ops/queues' });
    closers.push(running.close);
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ops\/queues\/$/);
    expect((await fetch(`${running.url}api/session`)).status).toBe(200);
    expect((await fetch(new URL('/elsewhere', running.url))).status).toBe(404);
    expect(() => createDashboard({ connection: t.url, basePath: 'no-slash' })).toThrow(/basePath/);
  });
});
