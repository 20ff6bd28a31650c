// The examples the README and docs/ show run as tests, so what they show keeps working.
import { describe, expect, it } from 'vitest';
import { eventsTour } from '../../examples/events.js';
import { runEmailSender } from '../../examples/email-sender.js';
import { runFanout } from '../../dist/examples/fanout.js';
import { runThumbnails, SIZES } from '../../dist/examples/thumbnail-pipeline.js';
import { schedulingTour } from '../../examples/scheduling.js';
import { QueueEvents } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';

describe('examples', () => {
  const t = useRedis();

  it('examples/scheduling.ts: delays, deadlines, priorities, debounce and schedulers', async () => {
    const queue = t.queue<Record<string, unknown>>('tour');
    await schedulingTour(queue);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 2, delayed: 2 });
    const delayed = await queue.getJobs('delayed');
    expect(delayed.find((j) => j.name === 'reindex')?.data).toEqual({ doc: 42, rev: 3 });
    expect((await queue.getSchedulers()).map((s) => s.key).sort()).toEqual(['daily-report', 'heartbeat']);
  });

  it('examples/events.ts: waitUntilFinished and call', async () => {
    t.newPrefix();
    const queue = t.queue<Record<string, unknown>, unknown>('shop');
    t.worker<Record<string, unknown>, unknown>('shop', async (job) => (job.name === 'quote' ? 9.5 : { paid: job.data.order }));
    const events = new QueueEvents('shop', { connection: t.url, prefix: t.prefix, logger: quietLogger });
    try {
      const { receipt, price, seen } = await eventsTour(queue, events);
      expect(receipt).toEqual({ paid: 7 });
      expect(price).toBe(9.5);
      expect(seen.length).toBeGreaterThanOrEqual(1);
    } finally {
      await events.close();
    }
  });

  it('examples/fanout.ts: one order published, handled by billing, email and analytics processes', async () => {
    t.newPrefix();
    const report = await runFanout(t.url, t.prefix, 30);
    expect(report.handled).toEqual({ billing: 30, email: 30, analytics: 30 });
    expect(report.completed).toEqual({ billing: 30, email: 30, analytics: 30 });
    // orders 7, 14, 21, 28 failed once in email only
    expect(report.emailRetries).toBe(4);
  }, 40_000);

  it("examples/email-sender.ts: the relay's rate across workers, per-customer order, a 429 honoured", async () => {
    t.newPrefix();
    const { relay } = await runEmailSender(t.url, t.prefix, 40);
    expect(relay.delivered).toHaveLength(120);
    expect(relay.refusals).toBe(1);
    // per customer: welcome, receipt, shipped
    const byCustomer = new Map<string, string[]>();
    for (const e of relay.delivered) byCustomer.set(e.customer, [...(byCustomer.get(e.customer) ?? []), e.kind]);
    for (const kinds of byCustomer.values()) expect(kinds).toEqual(['welcome', 'receipt', 'shipped']);
    // never more than 50 deliveries in a 200 ms window (local times, so a little slack)
    const at = relay.delivered.map((e) => e.at).sort((a, b) => a - b);
    for (let i = 50; i < at.length; i++) expect(at[i]! - at[i - 50]!).toBeGreaterThanOrEqual(150);
  }, 30_000);

  it('examples/thumbnail-pipeline.ts: a flow per image, thumbnails in worker threads, the parent collects them', async () => {
    t.newPrefix();
    const { manifests } = await runThumbnails(t.url, t.prefix, 3);
    expect(manifests.map((m) => m.image).sort()).toEqual(['upload-0.png', 'upload-1.png', 'upload-2.png']);
    for (const m of manifests) {
      expect(m.thumbnails.map((th) => th.width)).toEqual(SIZES);
      expect(new Set(m.thumbnails.map((th) => th.checksum)).size).toBe(SIZES.length);
    }
  }, 30_000);
});
