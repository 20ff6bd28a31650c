// The Prometheus side: the text parses strictly (declared families, escaped labels, cumulative
// histograms), the HTTP handler serves every registered queue over a real server, partitioned
// queues sum their partitions, and the dashboard's activity read.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsHandler, readGroupActivity } from '../../src/index.js';
import { BUCKET_BOUNDS_MS, emptyHistogram, observe, quantile } from '../../src/metrics/histogram.js';
import { escapeLabelValue, PrometheusText } from '../../src/metrics/prometheus.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor } from '../helpers/wait.js';
import { parsePrometheus, sampleValue } from './prom-parser.js';

const t = useRedis();
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
}

describe('Prometheus text', () => {
  it('escapes label values and writes cumulative histograms that the strict parser accepts', () => {
    const text = new PrometheusText();
    text.declare('x_total', 'counter', 'A counter.\nSecond line \\ here.').declare('h_seconds', 'histogram', 'A histogram.');
    const odd = 'a"b\\c\nd';
    text.sample('x_total', { queue: odd }, 3);
    const h = emptyHistogram();
    for (const ms of [1, 7, 7, 40, 100_000, 9_999_999]) observe(h, ms);
    text.histogramMs('h_seconds', { queue: odd }, h);
    const parsed = parsePrometheus(text.toString());
    expect(sampleValue(parsed, 'x_total', { queue: odd })).toBe(3);
    expect(sampleValue(parsed, 'h_seconds_count', { queue: odd })).toBe(6);
    expect(sampleValue(parsed, 'h_seconds_bucket', { queue: odd, le: '0.01' })).toBe(3);
    expect(sampleValue(parsed, 'h_seconds_bucket', { queue: odd, le: '+Inf' })).toBe(6);
    expect(escapeLabelValue(odd)).toBe('a\\"b\\\\c\\nd');
    expect(() => text.sample('undeclared', {}, 1)).toThrow(/not declared/);
    // the parser is strict: it refuses what it should
    expect(() => parsePrometheus('x 1\n')).toThrow(/no declared TYPE/);
    expect(() =>
      parsePrometheus('# HELP h x\n# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'),
    ).toThrow(/cumulative/);
  });

  it('estimates percentiles from the buckets', () => {
    const h = emptyHistogram();
    for (let i = 0; i < 100; i++) observe(h, i < 90 ? 20 : 2000);
    expect(quantile(h, 0.5)).toBeGreaterThan(10);
    expect(quantile(h, 0.5)).toBeLessThanOrEqual(25);
    expect(quantile(h, 0.95)).toBeGreaterThan(1000);
    expect(quantile(h, 0.95)).toBeLessThanOrEqual(2500);
    expect(quantile(emptyHistogram(), 0.5)).toBeUndefined();
    expect(BUCKET_BOUNDS_MS.length + 1).toBe(h.counts.length);
  });

  it('the HTTP handler serves every queue of the prefix, strictly parseable, and only GET/HEAD', async () => {
    const prefix = t.newPrefix();
    const a = t.queue('alpha');
    const b = t.queue('beta');
    await a.addBulk(Array.from({ length: 4 }, () => ({ name: 'n', data: null })));
    await b.add('n', null, { delay: 60_000 });
    await b.add('n', null);
    const worker = t.worker('alpha', async () => null, { metrics: { flushMs: 60_000 } });
    await collectEvents(worker, 'completed', 4);
    await worker.close();
    const handler = createMetricsHandler({ connection: t.url, prefix });
    t.track(handler);
    const url = await serve(handler);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const parsed = parsePrometheus(await res.text());
    expect(sampleValue(parsed, 'sluice_jobs_completed_total', { queue: 'alpha', group: 'default' })).toBe(4);
    expect(sampleValue(parsed, 'sluice_jobs', { queue: b.name, group: 'default', state: 'waiting' })).toBe(1);
    expect(sampleValue(parsed, 'sluice_jobs', { queue: b.name, group: 'default', state: 'delayed' })).toBe(1);
    expect(sampleValue(parsed, 'sluice_group_lag', { queue: b.name, group: 'default' })).toBe(1);
    expect(sampleValue(parsed, 'sluice_oldest_waiting_job_age_seconds', { queue: b.name, group: 'default' })).toBeGreaterThanOrEqual(0);
    expect(sampleValue(parsed, 'sluice_oldest_waiting_job_age_seconds', { queue: 'alpha', group: 'default' })).toBe(0);
    for (const family of ['sluice_job_wait_seconds', 'sluice_job_processing_seconds']) expect(parsed.types.get(family)).toBe('histogram');
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    // a fixed list of queues
    const only = createMetricsHandler({ connection: t.url, prefix, queues: ['alpha'] });
    t.track(only);
    const onlyParsed = parsePrometheus(await (await fetch(await serve(only))).text());
    expect(onlyParsed.samples.every((s) => s.labels.queue === 'alpha')).toBe(true);
  });

  it('an old unread job shows its age; the lag counts unread stream entries', async () => {
    t.newPrefix();
    const queue = t.queue('aged');
    await queue.add('n', null);
    const [s] = await t.admin.time();
    await waitFor(async () => Number((await t.admin.time())[0]) > Number(s) + 1, 5000, 'two seconds of Redis time');
    const parsed = parsePrometheus(await queue.metrics());
    expect(sampleValue(parsed, 'sluice_oldest_waiting_job_age_seconds', { queue: 'aged', group: 'default' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(parsed, 'sluice_group_lag', { queue: 'aged', group: 'default' })).toBe(1);
  });

  it('a partitioned queue sums its partitions; the dashboard activity reads the last hour', async () => {
    t.newPrefix();
    const queue = t.queue<number>('parts', { partitions: 3 });
    await queue.addBulk(Array.from({ length: 60 }, (_, i) => ({ name: 'n', data: i })));
    const worker = t.worker<number>(
      'parts',
      async (job) => {
        await new Promise((r) => setTimeout(r, 5));
        if (job.data % 10 === 0) throw new Error('dead');
        return job.data;
      },
      { partitions: 3, concurrency: 6, metrics: { flushMs: 60_000 }, name: 'parted' },
    );
    const failed = collectEvents(worker, 'failed', 6);
    const completed = collectEvents(worker, 'completed', 54);
    await worker.waitUntilReady();
    // the registry lives in the first partition: the worker is listed once
    await waitFor(async () => (await queue.getWorkers()).length === 1, 5000, 'the heartbeat');
    expect((await queue.getWorkers()).map((w) => w.name)).toEqual(['parted']);
    await completed;
    await failed;
    await worker.close();
    expect((await queue.getMetrics('completed')).meta.total).toBe(54);
    expect((await queue.getMetrics('failed')).meta.total).toBe(6);
    const parsed = parsePrometheus(await queue.metrics());
    expect(sampleValue(parsed, 'sluice_jobs_completed_total', { queue: 'parts', group: 'default' })).toBe(54);
    expect(sampleValue(parsed, 'sluice_jobs_dead_lettered_total', { queue: 'parts', group: 'default' })).toBe(6);
    expect(sampleValue(parsed, 'sluice_job_processing_seconds_count', { queue: 'parts', group: 'default' })).toBe(60);
    expect(sampleValue(parsed, 'sluice_jobs', { queue: 'parts', group: 'default', state: 'completed' })).toBe(54);
    // each partition kept its own share (the sum is not one partition's)
    const activity = await readGroupActivity(queue, 'default');
    expect(activity.perMinute.completed).toHaveLength(60);
    expect(activity.perMinute.completed.slice(-2).reduce((a, b) => a + b, 0)).toBe(54);
    expect(activity.perMinute.failed.reduce((a, b) => a + b, 0)).toBe(6);
    expect(activity.processingMs!.p50).toBeGreaterThan(0);
    expect(activity.processingMs!.p95).toBeGreaterThanOrEqual(activity.processingMs!.p50);
    expect(activity.waitMs).toBeDefined();
    expect(await readGroupActivity(t.queue('idle'), 'default')).toEqual({
      perMinute: { completed: new Array(60).fill(0), failed: new Array(60).fill(0) },
    });
  });
});
