// The dashboard's page in headless Chromium (Debian's, driven by playwright-core): it shows the
// counts of every state, retries a failed job through its confirmation dialog, keeps hostile
// job names, failures and data (the job page's Data panel) inert, renders injected activity and
// explanations, and hides actions read-only.
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type DashboardOptions } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { seedQueue, serve } from './fixture.js';

const t = useRedis();
let browser: Browser;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((c) => c()));
});

async function open(opts: Partial<DashboardOptions> = {}): Promise<{ url: string; page: Page; dialogs: string[]; errors: string[] }> {
  const dashboard = createDashboard({ connection: t.url, prefix: t.prefix, ...opts });
  const server = await serve(dashboard);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  closers.push(
    () => context.close(),
    server.close,
    () => dashboard.close(),
  );
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return { url: `${server.url}/`, page, dialogs, errors };
}

const cell = (queue: string, group: string, state: string) => `[data-queue="${queue}"] tr[data-group="${group}"] td.c-${state}`;

describe('dashboard page', () => {
  it('shows the counts of a queue with jobs in every state, and activity when a source gives it', async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders');
    closers.push(async () => seeded.release());
    const completed = Array.from({ length: 60 }, (_, i) => (i * 7) % 13);
    const { url, page, errors } = await open({
      activity: async () => ({ perMinute: { completed, failed: completed.map(() => 0) }, waitMs: { p50: 12, p95: 480 } }),
    });
    await page.goto(url);
    for (const [state, n] of [
      ['waiting', 2],
      ['active', 1],
      ['delayed', 1],
      ['completed', 1],
      ['failed', 1],
    ] as const) {
      await page
        .locator(cell('orders', 'default', state))
        .filter({ hasText: String(n) })
        .waitFor({ timeout: 10_000 });
    }
    const row = page.locator('[data-queue="orders"] tr[data-group="default"]');
    expect(await row.locator('.badge').first().textContent()).toBe('Paused');
    expect(await page.locator('#ro').isHidden()).toBe(true);
    expect(await row.locator('svg.spark polyline').count()).toBe(1);
    expect(await row.textContent()).toContain('12 ms / 480 ms');
    // every column shows in a 1280 px window: the groups' table fits its card (the card clips)
    const overflow = await page.evaluate(() => {
      const card = document.querySelector('[data-queue="orders"]')!;
      return card.querySelector('table')!.getBoundingClientRect().right - card.getBoundingClientRect().right;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
  });

  it('retries a failed job from the page once the dialog is confirmed, not when cancelled', async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders');
    closers.push(async () => seeded.release());
    const { url, page } = await open();
    await page.goto(`${url}#/q/orders/g/default/s/failed`);
    const retry = page.locator(`tr[data-job="${seeded.ids.failed}"] button`, { hasText: 'Retry' });
    await retry.click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('button', { hasText: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await (await seeded.queue.getJob(seeded.ids.failed))!.getState()).toBe('failed');

    await retry.click();
    await dialog.locator('.dlg-ok').click();
    await waitFor(async () => (await (await seeded.queue.getJob(seeded.ids.failed))!.getState()) === 'waiting', 10_000, 'the retried job');
    await page.locator('#toast', { hasText: 'Retried' }).waitFor();
  });

  it('keeps a job whose name, data and failure are HTML inert', async () => {
    t.newPrefix();
    const evil = '<img src=x onerror="window.__pwned=1;alert(1)">';
    const seeded = await seedQueue(t, 'orders', evil);
    closers.push(async () => seeded.release());
    await seeded.queue.add('<script>window.__pwned=2;alert(2)</script>', { html: '<svg onload=alert(3)></svg>' });
    const { url, page, dialogs } = await open({
      explain: async () => ({ state: 'failed', reason: '<b>x</b>', message: '<img src=y onerror=alert(4)>', details: {} }),
    });
    await page.goto(`${url}#/q/orders/g/default/s/failed`);
    await page.locator(`tr[data-job="${seeded.ids.failed}"]`).waitFor();
    await page.goto(`${url}#/q/orders/g/default/s/waiting`);
    await page.locator('td.name', { hasText: '<script>' }).waitFor();
    await page.goto(`${url}#/q/orders/g/default/j/${encodeURIComponent(seeded.ids.failed)}`);
    await page.locator('h1 .job-name', { hasText: evil }).waitFor();
    await page.locator('.explain', { hasText: '<img src=y' }).waitFor();
    expect(await page.locator('.failure').textContent()).toContain('<img src=x');
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      elements: document.querySelectorAll('main img, main script, main svg[onload], main [onerror], main b').length,
    }));
    expect(injected).toEqual({ pwned: undefined, elements: 0 });
    expect(dialogs).toEqual([]);
  });

  it("shows a job's hostile data in its Data panel as text: no script runs, no element is made", async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders'); // the group is paused: the job stays waiting
    closers.push(async () => seeded.release());
    const data = {
      note: '<script>window.__pwned=1;alert(1)</script>',
      avatar: '<img src=x onerror="window.__pwned=2;alert(2)">',
      nested: ['</pre><script>window.__pwned=3</script>', { '<b onmouseover=alert(4)>k</b>': '<iframe src="javascript:alert(5)">' }],
    };
    const job = await seeded.queue.add('import-profile', data);
    const { url, page, dialogs, errors } = await open();
    await page.goto(`${url}#/q/orders/g/default/j/${encodeURIComponent(job.id)}`);
    const pre = page.locator('section.panel', { has: page.locator('h2', { hasText: /^Data$/ }) }).locator('pre');
    await pre.waitFor();
    // shown whole, as the text of the JSON
    expect(JSON.parse((await pre.textContent())!)).toEqual(data);
    const markup = await pre.innerHTML();
    expect(markup).toContain('&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;');
    expect(markup).toContain('&lt;img src=x onerror=');
    expect(markup).not.toMatch(/<(script|img|iframe|b|\/pre)\b/);
    const injected = await page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      elements: document.querySelectorAll('main script, main img, main iframe, main b, main [onerror], main [onmouseover]').length,
    }));
    expect(injected).toEqual({ pwned: undefined, elements: 0 });
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('hides every action in read-only mode, and its API refuses them', async () => {
    t.newPrefix();
    const seeded = await seedQueue(t, 'orders');
    closers.push(async () => seeded.release());
    const { url, page } = await open({ readOnly: true });
    await page.goto(`${url}#/q/orders/g/default/s/failed`);
    await page.locator(`tr[data-job="${seeded.ids.failed}"]`).waitFor();
    await page.locator('#ro').waitFor({ state: 'visible' });
    expect(await page.locator('main .actions').count()).toBe(0);
    expect(await page.locator('main button', { hasText: /Retry|Pause|Resume|Clean|Remove/ }).count()).toBe(0);
    // the group's activity, from the metrics its workers flush
    await page.locator('.panel', { hasText: 'Completed (1 h)' }).waitFor();
    await page.goto(`${url}#/q/orders/g/default/j/${encodeURIComponent(seeded.ids.failed)}`);
    await page.locator('.failure').waitFor();
    expect(await page.locator('main button', { hasText: /Retry|Remove|Promote/ }).count()).toBe(0);
    const status = await page.evaluate(async (id) => {
      const { csrfToken } = await (await fetch('api/session')).json();
      const res = await fetch(`api/queues/orders/groups/default/jobs/${encodeURIComponent(id)}/retry`, {
        method: 'POST',
        headers: { 'X-CSRF-Token': csrfToken },
      });
      return res.status;
    }, seeded.ids.failed);
    expect(status).toBe(403);
    expect(await (await seeded.queue.getJob(seeded.ids.failed))!.getState()).toBe('failed');
  });
});
