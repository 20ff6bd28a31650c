// Writes the dashboard's screenshots (docs/img/dashboard-overview.png, dashboard-job.png) from
// demo data: several queues and groups, failures with stack traces and logs, a rate limit, a
// paused group, schedulers, a flow's parent waiting for its children. Runs only with
// SLUICE_DASHBOARD_SCREENSHOTS=1:
//   SLUICE_DASHBOARD_SCREENSHOTS=1 npx vitest run test/dashboard/screenshots.test.ts
// The counts, jobs, logs, timeline and explanation are real (workers ran the jobs); the
// activity figures (throughput sparklines, wait p50/p95) are made up: an injected source
// (createDashboard's `activity` option), as the docs' captions say. The overview is shot whole
// (full page), the job page from the top.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createDashboard, FlowProducer, type Job } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { serve } from './fixture.js';

const t = useRedis();
const imgDir = fileURLToPath(new URL('../../docs/img/', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A made-up hour of throughput, the same on every run. */
function demoActivity(seed: number, scale: number) {
  let x = seed;
  const next = () => {
    x = (x * 9301 + 49297) % 233280;
    return x / 233280;
  };
  const completed = Array.from({ length: 60 }, (_, i) => Math.round(scale * (0.7 + 0.3 * Math.sin(i / 7 + seed)) + scale * 0.25 * next()));
  const failed = completed.map((c) => (next() > 0.85 ? Math.round(c * 0.08) : 0));
  return { perMinute: { completed, failed }, waitMs: { p50: 8 + seed * 3, p95: 90 + seed * 41 }, processingMs: { p50: 120, p95: 860 } };
}

class GatewayError extends Error {
  override name = 'GatewayError';
}

async function chargeCard(data: { amount: number; customer: string }): Promise<never> {
  const err = new GatewayError(`card_declined: issuer refused ${data.amount} EUR for ${data.customer} (do_not_honor)`);
  // paths relative to the package, not to whoever's checkout wrote the screenshot
  err.stack = err.stack?.replaceAll(`file://${repoRoot}`, '').replaceAll(repoRoot, '');
  throw err;
}

/** The payments processor (named: its name is the stack's frame). */
async function processPayment(job: Job<{ amount: number; customer: string }>) {
  await job.log(`attempt ${job.attemptsMade + 1}: authorising ${job.data.amount} EUR for ${job.data.customer}`);
  await job.updateProgress(40);
  if (job.data.amount > 900) {
    await job.log('gateway answered 402 card_declined (do_not_honor)');
    return chargeCard(job.data);
  }
  await job.log('authorised, capturing');
  return { charge: `ch_${job.id}`, captured: true };
}

describe.skipIf(process.env.SLUICE_DASHBOARD_SCREENSHOTS !== '1')('dashboard screenshots', () => {
  it('writes the overview and job page screenshots', async () => {
    // the file's own Redis: the default prefix, as a real deployment shows it
    const prefix = 'sluice';
    const emails = t.queue('emails', { prefix });
    const payments = t.queue('payments', { prefix, maxLength: 5000 });
    const reports = t.queue('reports', { prefix });
    const webhooks = t.queue('webhooks', { prefix });
    await emails.createGroup('analytics', { from: 'start' });
    await payments.createGroup('ledger', { from: 'start' });

    // emails: a steady flow, a few SMTP failures, two sends in flight
    let release = () => {};
    const hold = new Promise<void>((r) => {
      release = r;
    });
    const done: Job[] = [];
    const mailer = t.worker(
      'emails',
      async (job) => {
        if (job.name === 'send-digest') return hold;
        if ((job.data as { to: string }).to.endsWith('.invalid'))
          throw new Error(`550 5.1.1 mailbox unavailable: ${(job.data as { to: string }).to}`);
        return { messageId: `<${job.id}@mail.example.com>` };
      },
      { prefix, concurrency: 2, prefetch: 0, allowErrors: true },
    );
    mailer.on('completed', (j: Job) => void done.push(j));
    mailer.on('failed', (j: Job | undefined) => void (j && done.push(j)));
    const people = ['ada', 'grace', 'linus', 'margaret', 'ken', 'barbara', 'edsger', 'frances'];
    await emails.addBulk(
      Array.from({ length: 36 }, (_, i) => ({
        name: i % 3 ? 'welcome' : 'password-reset',
        data: { to: i % 12 === 5 ? `${people[i % 8]}@old-domain.invalid` : `${people[i % 8]}@example.com`, template: 'v3' },
        opts: { attempts: 1 },
      })),
    );
    await waitFor(() => done.length === 36, 20_000, 'emails processed');
    await emails.addBulk([
      { name: 'send-digest', data: { to: 'team@example.com' } },
      { name: 'send-digest', data: { to: 'ops@example.com' } },
    ]);
    await waitFor(async () => (await emails.getJobCounts()).active === 2, 10_000, 'two sends in flight');
    await emails.addBulk(Array.from({ length: 14 }, (_, i) => ({ name: 'welcome', data: { to: `user${i}@example.com` } })));
    await emails.add('weekly-newsletter', { segment: 'all' }, { delay: 6 * 3600_000 });

    // payments: retries that end in the dead-letter set, with logs and a stack trace
    const payer = t.worker<{ amount: number; customer: string }>('payments', processPayment, {
      prefix,
      concurrency: 4,
      allowErrors: true,
      limiter: { max: 30, duration: 60_000 },
    });
    const settled: Job[] = [];
    payer.on('completed', (j: Job) => void settled.push(j));
    payer.on('failed', (j: Job | undefined, _e: Error, willRetry: boolean) => void (j && !willRetry && settled.push(j)));
    const amounts = [120, 49, 1250, 310, 75, 980, 15, 640, 220, 1899, 58, 410];
    const added = await payments.addBulk(
      amounts.map((amount, i) => ({
        name: 'charge',
        data: { amount, customer: `cus_${(4711 + i * 37).toString(36)}`, orderId: `A-${10_230 + i}` },
        opts: { attempts: 3, backoff: { type: 'fixed' as const, delay: 20 } },
      })),
    );
    await waitFor(() => settled.length === amounts.length, 20_000, 'payments settled');
    await payments.addBulk(Array.from({ length: 40 }, (_, i) => ({ name: 'charge', data: { amount: 20 + i, customer: `cus_q${i}` } })));
    await payer.close();
    await payments.add('refund', { chargeId: 'ch_88', amount: 49 }, { delay: 900_000 });
    const failedJob = added[2]!;

    // reports: schedulers and delayed runs; webhooks: paused with a backlog
    await reports.upsertScheduler('nightly-revenue', { pattern: '0 3 * * *' }, { name: 'revenue-report', data: { range: 'day' } });
    await reports.upsertScheduler('hourly-usage', { every: 3_600_000 }, { name: 'usage-rollup' });
    await reports.upsertScheduler('weekly-churn', { pattern: '0 6 * * 1' }, { name: 'churn-report' });
    await reports.add('export-csv', { account: 'acme' }, { delay: 1_200_000 });
    const flows = new FlowProducer({ connection: t.url, prefix, logger: quietLogger });
    await flows.add({
      name: 'monthly-summary',
      queueName: 'reports',
      data: { month: '2026-11' },
      children: ['eu', 'us', 'apac'].map((region) => ({ name: 'region-report', queueName: 'reports', data: { region } })),
    });
    await flows.close();
    await webhooks.pause();
    await webhooks.addBulk(
      Array.from({ length: 25 }, (_, i) => ({ name: 'deliver', data: { endpoint: `https://hooks.example.net/${i}` } })),
    );

    const seeds: Record<string, number> = { emails: 1, payments: 2, reports: 3, webhooks: 4 };
    const dashboard = createDashboard({
      connection: t.url,
      prefix,
      activity: async (queue, group) =>
        queue.name === 'webhooks'
          ? null
          : demoActivity(seeds[queue.name]! + (group === 'default' ? 0 : 5), queue.name === 'emails' ? 40 : 12),
    });
    const server = await serve(dashboard);
    const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      mkdirSync(imgDir, { recursive: true });
      await page.goto(`${server.url}/`);
      // every queue drawn, the paused one last
      await page.locator('[data-queue="webhooks"] tr[data-group="default"] .badge', { hasText: 'Paused' }).waitFor();
      await page.locator('[data-queue="reports"] td.c-waiting-children', { hasText: '1' }).waitFor();
      expect(await page.locator('[data-queue]').count()).toBe(4);
      expect(await page.locator('[data-queue="emails"] th').allTextContents()).toContain('Waiting-children');
      await page.screenshot({ path: `${imgDir}dashboard-overview.png`, fullPage: true });
      await page.goto(`${server.url}/#/q/payments/g/default/j/${encodeURIComponent(failedJob.id)}`);
      await page.locator('.timeline').waitFor();
      await page.locator('.panel h2', { hasText: 'Why is it failed?' }).waitFor();
      expect(await page.locator('.explain').textContent()).toMatch(/dead-lettered.*because "card_declined.* after 3 attempts/);
      expect(await page.locator('.failure').textContent()).toContain('card_declined');
      const stack = (await page.locator('pre.stack').textContent())!;
      expect(stack).toContain('(test/dashboard/screenshots.test.ts:');
      expect(stack).not.toContain(repoRoot);
      await page.screenshot({ path: `${imgDir}dashboard-job.png` });
    } finally {
      release();
      await browser.close();
      await server.close();
      await dashboard.close();
    }
  });
});
