// The CLI commands that build on the dashboard, the metrics and explain, spawned as the built
// bin against the test's own Redis: `serve` answers on the address it prints and stops on
// SIGTERM; `workers` lists the live registry the workers' heartbeats keep; `job --explain` says
// why a job is not running (docs/cli.md, docs/metrics.md, docs/explain.md).
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueuesResponse } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { checkBuilt, sluice, sluiceJson, startSluice } from './run-cli.js';

const t = useRedis();
beforeAll(() => checkBuilt());

describe('sluice serve, workers and job --explain', () => {
  it('serve starts the dashboard on the address it prints, read-only, and stops on SIGTERM', async () => {
    const prefix = t.newPrefix();
    await t.queue('orders').add('o', 1);
    const serve = startSluice(['serve', '--port', '0', '--read-only', '--url', t.url, '--prefix', prefix]);
    await waitFor(() => /https?:\/\/\S+/.test(serve.output().stdout), 30_000, 'the address');
    const url = /(https?:\/\/\S+?)\/?(?:[\s;]|$)/.exec(serve.output().stdout)![1]!;
    expect(serve.output().stdout).toContain('(read-only)');
    const queues = (await (await fetch(`${url}/api/queues`)).json()) as QueuesResponse;
    expect(queues.names).toEqual(['orders']);
    expect(queues.queues[0]!.overview.groups[0]!.counts.waiting).toBe(1);
    const session = (await (await fetch(`${url}/api/session`)).json()) as { csrfToken: string };
    const post = await fetch(`${url}/api/queues/orders/groups/default/pause`, {
      method: 'POST',
      headers: { 'X-CSRF-Token': session.csrfToken },
    });
    expect(post.status).toBe(403);
    expect((await fetch(`${url}/metrics`)).status).toBe(200);
    serve.kill('SIGTERM');
    const run = await serve.exited;
    expect(run.code).toBe(0);
  });

  it('workers lists the live workers of a group', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('orders');
    await queue.add('o', 1);
    const worker = t.worker('orders', async () => undefined, { name: 'billing-1', concurrency: 3 });
    await worker.waitUntilReady();
    await waitFor(async () => (await queue.getWorkers()).length === 1, 10_000, 'the first heartbeat');
    const listed = await sluiceJson<{ name: string; concurrency: number; pid: number }[]>([
      'workers',
      'orders',
      '--url',
      t.url,
      '--prefix',
      prefix,
    ]);
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'billing-1', concurrency: 3, pid: process.pid });
  });

  it('job --explain says why a job is not running, in words and as JSON', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('orders');
    const job = await queue.add('o', 1, { delay: 3_600_000 });
    const common = ['--url', t.url, '--prefix', prefix];
    const text = await sluice(['job', 'orders', job.id, '--explain', ...common]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/delayed/i);
    const json = await sluiceJson<{ explain: { reason: string } }>(['job', 'orders', job.id, '--explain', ...common]);
    expect(json.explain.reason).toBe('delayed');
  });
});
