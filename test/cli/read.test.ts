// The CLI's read commands (queues, stats, jobs, job, logs, groups, schedulers, top) spawned as
// the built bin against a real Redis, on a queue with a job in every state: their text and
// --json output, --prefix and --group, and unknown queues, groups and jobs (exit 3).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, Worker } from '../../src/index.js';
import type { QueueOverview } from '../../src/ops/overview.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { uniquePrefix } from '../helpers/redis.js';
import { waitFor } from '../helpers/wait.js';
import { checkBuilt, sluice, sluiceJson } from './run-cli.js';

const t = useRedis();
const prefix = uniquePrefix();
const ids: Record<string, string> = {};
let queue: Queue;
let worker: Worker;
let release: () => void = () => {};

const cli = (...args: string[]) => sluice([...args, '--url', t.url, '--prefix', prefix]);
const json = <T>(...args: string[]) => sluiceJson<T>([...args, '--url', t.url, '--prefix', prefix]);

beforeAll(async () => {
  checkBuilt();
  const connection = t.url;
  queue = new Queue('orders', { connection, prefix, logger: quietLogger });
  const held = new Promise<void>((r) => (release = r));
  const started: string[] = [];
  worker = new Worker(
    'orders',
    async (job) => {
      started.push(job.name);
      await job.log(`working on ${job.name}`);
      if (job.name === 'fail-me') throw new Error('card declined');
      if (job.name === 'hold') await held;
      return { charged: true };
    },
    { connection, prefix, logger: quietLogger, concurrency: 1, prefetch: 0 },
  );
  ids.failed = (await queue.add('fail-me', { order: 1 }, { attempts: 1 })).id;
  ids.completed = (await queue.add('complete-me', { order: 2 })).id;
  ids.active = (await queue.add('hold', { order: 3 })).id;
  await waitFor(() => started.includes('hold'), 10_000, 'the held job to start');
  ids.waiting = (await queue.add('wait-me', { order: 4 })).id;
  ids.delayed = (await queue.add('later', { order: 5 }, { delay: 3_600_000 })).id;
  await queue.upsertScheduler('nightly', { pattern: '0 3 * * *' }, { name: 'report' });
  // a second queue with a consumer group of its own
  const fanout = new Queue('fanout', { connection, prefix, logger: quietLogger });
  await fanout.createGroup('billing');
  await fanout.createGroup('mail');
  await fanout.add('invoice', { n: 1 });
  await fanout.close();
  // a queue of five waiting jobs, to page through
  const pages = new Queue('pages', { connection, prefix, logger: quietLogger });
  ids.pages = JSON.stringify((await pages.addBulk([1, 2, 3, 4, 5].map((n) => ({ name: 'page', data: n })))).map((j) => j.id));
  await pages.close();
});

afterAll(async () => {
  release();
  await worker?.close({ timeoutMs: 2000 });
  await queue?.close();
});

describe('read commands', { timeout: 180_000 }, () => {
  it('queues lists the registered queues (text and JSON), and only those of --prefix', async () => {
    const text = await cli('queues');
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual(['fanout', 'orders', 'pages']);
    expect(await json('queues')).toEqual({ prefix, queues: ['fanout', 'orders', 'pages'] });
    const other = await sluiceJson<{ queues: string[] }>(['queues', '--url', t.url, '--prefix', uniquePrefix()]);
    expect(other.queues).toEqual([]);
  });

  it('queues --scan finds a queue missing from the registry', async () => {
    await t.admin.srem(`${prefix}:queues`, 'fanout');
    expect((await json<{ queues: string[] }>('queues')).queues).toEqual(['orders', 'pages']);
    expect((await json<{ queues: string[] }>('queues', '--scan')).queues).toEqual(['fanout', 'orders', 'pages']);
  });

  it('stats shows one line per group with every count, and --json is the QueueOverview', async () => {
    const text = await cli('stats', 'orders');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^queue orders, read at /);
    expect(text.stdout).toContain('schedulers: 1, next "nightly"');
    const [header, row] = text.stdout.trim().split('\n').slice(-2);
    expect(header).toMatch(/^GROUP\s+WAITING\s+ACTIVE\s+DELAYED\s+COMPLETED\s+FAILED\s+LAG\s+OLDEST UNREAD\s+CONSUMERS\s+PAUSED\s+LIMIT$/);
    expect(row).toMatch(/^default\s+1\s+1\s+1\s+1\s+1\s+1\s+(\S+ )?\S+\s+1\s+no\s+-$/);
    const o = await json<QueueOverview>('stats', 'orders');
    expect(Object.keys(o).sort()).toEqual(['groups', 'groupsTruncated', 'maxLength', 'name', 'partitions', 'readAt', 'room', 'schedulers']);
    expect(o.groups).toHaveLength(1);
    expect(o.groups[0]!.counts).toEqual({
      waiting: 1,
      active: 1,
      delayed: 1,
      completed: 1,
      failed: 1,
      paused: false,
      'waiting-children': 0,
    });
    expect(o.schedulers.count).toBe(1);
  });

  it("counts prints the group's counts (text and JSON)", async () => {
    const text = await cli('counts', 'orders');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^WAITING\s+ACTIVE\s+DELAYED\s+COMPLETED\s+FAILED\s+PAUSED\s+WAITING-CHILDREN\n\s+1\s+1\s+1\s+1\s+1\s+no\s+0\n$/,
    );
    expect(await json('counts', 'orders')).toEqual({
      waiting: 1,
      active: 1,
      delayed: 1,
      completed: 1,
      failed: 1,
      paused: false,
      'waiting-children': 0,
    });
  });

  it('--group picks the group: stats, jobs', async () => {
    const all = await json<QueueOverview>('stats', 'fanout');
    expect(all.groups.map((g) => g.name)).toEqual(['billing', 'mail']);
    const billing = await json<QueueOverview>('stats', 'fanout', '--group', 'billing');
    expect(billing.groups.map((g) => g.name)).toEqual(['billing']);
    expect(billing.groups[0]!.counts.waiting).toBe(1);
    const page = await json<{ group: string; jobs: { name: string; group: string }[] }>('jobs', 'fanout', 'waiting', '--group', 'billing');
    expect(page.group).toBe('billing');
    expect(page.jobs.map((j) => [j.name, j.group])).toEqual([['invoice', 'billing']]);
  });

  it('jobs lists each state, in text and JSON', async () => {
    for (const state of ['waiting', 'active', 'delayed', 'completed', 'failed'] as const) {
      const page = await json<{ state: string; jobs: { id: string; state: string }[]; next: string | null }>('jobs', 'orders', state);
      expect(
        page.jobs.map((j) => j.id),
        state,
      ).toEqual([ids[state]]);
      expect(page.jobs[0]!.state).toBe(state);
      expect(page.next).toBeNull();
      const text = await cli('jobs', 'orders', state);
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+AGE\s+ATTEMPTS\s+DELIVERIES\s+LAST RUN\s+(DATA|FAILURE)$/);
      expect(text.stdout).toContain(ids[state]);
    }
    expect((await cli('jobs', 'orders', 'failed')).stdout).toContain('card declined');
  });

  it('jobs pages with --limit and --cursor', async () => {
    type Page = { jobs: { id: string }[]; next: string | null };
    const seen: string[] = [];
    let cursor: string[] = [];
    for (const size of [2, 2, 1]) {
      const page = await json<Page>('jobs', 'pages', 'waiting', '--limit', '2', ...cursor);
      expect(page.jobs).toHaveLength(size);
      seen.push(...page.jobs.map((j) => j.id));
      if (size === 1) expect(page.next).toBeNull();
      else {
        expect((await cli('jobs', 'pages', 'waiting', '--limit', '2', ...cursor)).stdout).toContain(`--cursor ${page.next}`);
        cursor = ['--cursor', page.next!];
      }
    }
    expect(seen).toEqual(JSON.parse(ids.pages!));
  });

  it('job prints the whole record; --json has every field', async () => {
    const text = await cli('job', 'orders', ids.failed!);
    expect(text.code).toBe(0);
    for (const line of ['state:         failed', 'name:          fail-me', 'attempts made: 1', 'deliveries:    1', 'stalls:        0']) {
      expect(text.stdout).toContain(line);
    }
    expect(text.stdout).toContain('failure: card declined');
    expect(text.stdout).toMatch(/stack:\n {2}Error: card declined/);
    const record = await json<Record<string, unknown>>('job', 'orders', ids.failed!);
    expect(record).toMatchObject({ id: ids.failed, name: 'fail-me', state: 'failed', data: { order: 1 }, opts: { attempts: 1 } });
    expect(record).toMatchObject({ attemptsMade: 1, deliveries: 1, stalls: 0, failedReason: 'card declined', group: 'default' });
    expect((record.stacktrace as string[])[0]).toBe('Error: card declined');
    const done = await json<Record<string, unknown>>('job', 'orders', ids.completed!);
    expect(done).toMatchObject({ state: 'completed', returnvalue: { charged: true }, failedReason: null });
    expect((await json<{ state: string }>('job', 'orders', ids.waiting!)).state).toBe('waiting');
  });

  it('logs prints the lines the processor logged', async () => {
    const text = await cli('logs', 'orders', ids.failed!);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe('working on fail-me\n');
    expect(await json('logs', 'orders', ids.completed!)).toEqual({ id: ids.completed, group: 'default', logs: ['working on complete-me'] });
  });

  it('groups and schedulers list what the queue has', async () => {
    const groups = await json<{ name: string; waiting: number }[]>('groups', 'fanout');
    expect(groups.map((g) => g.name)).toEqual(['billing', 'mail']);
    const text = await cli('groups', 'fanout');
    expect(text.stdout).toMatch(/^GROUP\s+UNREAD\s+WAITING\s+CONSUMERS\s+LAST READ\nbilling\s+1\s+1\s+0/);
    const schedulers = await json<{ key: string; name: string; next: number }[]>('schedulers', 'orders');
    expect(schedulers.map((s) => [s.key, s.name])).toEqual([['nightly', 'report']]);
    expect((await cli('schedulers', 'orders')).stdout).toMatch(/^KEY\s+REPEAT\s+JOB NAME\s+NEXT\s+MADE\nnightly\s+.*0 3 \* \* \*/);
  });

  it('an unknown queue, group or job is exit 3 with one line, and writes nothing', async () => {
    for (const args of [
      ['stats', 'nope'],
      ['jobs', 'nope', 'waiting'],
      ['job', 'orders', 'no-such-job'],
      ['logs', 'orders', 'no-such-job'],
      ['stats', 'orders', '--group', 'nope'],
      ['groups', 'nope'],
    ]) {
      const run = await cli(...args);
      expect(run.code, args.join(' ')).toBe(3);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^sluice: (unknown queue "nope"|no job "no-such-job"|queue "orders" has no group "nope")/);
    }
    expect(await t.admin.keys(`${prefix}:{nope}:*`)).toEqual([]);
    expect(await t.admin.sismember(`${prefix}:queues`, 'nope')).toBe(0);
  });

  it('top --iterations 2 prints two frames of every queue and group, and exits', async () => {
    const run = await cli('top', '--iterations', '2', '--interval', '100');
    expect(run.code).toBe(0);
    const frames = run.stdout.split('sluice top').slice(1);
    expect(frames).toHaveLength(2);
    for (const frame of frames) {
      expect(frame).toMatch(/QUEUE\s+GROUP\s+WAITING\s+ACTIVE\s+DELAYED\s+FAILED\s+LAG\s+OLDEST UNREAD\s+CONSUMERS\s+LIMIT\s+PAUSED/);
      expect(frame).toMatch(/fanout\s+billing\s+1/);
      expect(frame).toMatch(/fanout\s+mail\s+1/);
      expect(frame).toMatch(/pages\s+default\s+5/);
      expect(frame).toMatch(/orders\s+default\s+1\s+1\s+1\s+1/);
    }
    const lines = (await cli('top', '--iterations', '1', '--json')).stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const frame = JSON.parse(lines[0]!) as { queues: QueueOverview[]; more: number };
    expect(frame.queues.map((q) => q.name)).toEqual(['fanout', 'orders', 'pages']);
    expect(frame.more).toBe(0);
  });
});
