// The CLI's commands that change a queue (remove, clean, retry, promote, pause, resume), spawned
// as the built bin against a real Redis: without --yes and without a terminal the destructive
// ones refuse (exit 2) and change nothing; with --yes they act, as Redis shows.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Queue } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';
import { checkBuilt, sluice } from './run-cli.js';

const t = useRedis();
const cli = (...args: string[]) => sluice([...args, '--url', t.url, '--prefix', t.prefix]);

beforeAll(() => checkBuilt());

/** A queue with `failed` failed jobs and `completed` completed ones (a worker ran them). */
async function finished(queue: Queue, failed: number, completed: number): Promise<void> {
  await queue.addBulk([
    ...Array.from({ length: failed }, (_, i) => ({ name: 'bad', data: i, opts: { attempts: 1 } })),
    ...Array.from({ length: completed }, (_, i) => ({ name: 'good', data: i })),
  ]);
  const worker = t.worker(queue.name, async (job) => {
    if (job.name === 'bad') throw new Error('nope');
  });
  await waitFor(
    async () => {
      const c = await queue.getJobCounts();
      return c.failed === failed && c.completed === completed;
    },
    10_000,
    'the jobs to finish',
  );
  await worker.close();
}

function refused(run: { code: number | null; stderr: string }, command: string): void {
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^sluice: refusing to .* without --yes \(stdin is not a terminal/);
  expect(run.stderr).toContain(`usage: sluice ${command}`);
}

describe('destructive commands', { timeout: 180_000 }, () => {
  it('remove: refused without --yes (job kept), done with --yes; an unknown job is exit 3', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    const job = await q.add('x', { a: 1 });
    refused(await cli('remove', 'orders', job.id), 'remove');
    expect(await q.getJob(job.id)).toBeDefined();
    const run = await cli('remove', 'orders', job.id, '--yes');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`removed job "${job.id}"\n`);
    expect(await q.getJob(job.id)).toBeUndefined();
    expect((await cli('remove', 'orders', job.id, '--yes')).code).toBe(3);
  });

  it('remove --json and -y', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    const job = await q.add('x', 1, { delay: 60_000 });
    const run = await cli('remove', 'orders', job.id, '-y', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ removed: [job.id] });
    expect((await q.getJobCounts()).delayed).toBe(0);
  });

  it('retry --all-failed: refused without --yes, retries every failed job with it', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    await finished(q, 3, 1);
    refused(await cli('retry', 'orders', '--all-failed'), 'retry');
    expect((await q.getJobCounts()).failed).toBe(3);
    const run = await cli('retry', 'orders', '--all-failed', '--yes', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ retried: 3 });
    const counts = await q.getJobCounts();
    expect([counts.failed, counts.waiting, counts.completed]).toEqual([0, 3, 1]);
  });

  it('retry <id> retries one failed job; a waiting one is an error (exit 1); id and --all-failed together are usage', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    await finished(q, 2, 0);
    const [failed] = await q.getJobs('failed');
    const run = await cli('retry', 'orders', failed!.id);
    expect(run.code).toBe(0);
    expect(await (await q.getJob(failed!.id))!.getState()).toBe('waiting');
    expect((await q.getJobCounts()).failed).toBe(1);
    const again = await cli('retry', 'orders', failed!.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`sluice: job "${failed!.id}" is waiting: only failed or completed jobs can be retried\n`);
    expect((await cli('retry', 'orders', failed!.id, '--all-failed', '--yes')).code).toBe(2);
    expect((await cli('retry', 'orders')).code).toBe(2);
  });

  it('promote --all: refused without --yes, promotes every delayed job with it; promote <id> one', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    const jobs = await q.addBulk([1, 2, 3].map((n) => ({ name: 'later', data: n, opts: { delay: 3_600_000 } })));
    const one = await cli('promote', 'orders', jobs[0]!.id);
    expect(one.code).toBe(0);
    expect(await (await q.getJob(jobs[0]!.id))!.getState()).toBe('waiting');
    refused(await cli('promote', 'orders', '--all'), 'promote');
    expect((await q.getJobCounts()).delayed).toBe(2);
    const run = await cli('promote', 'orders', '--all', '--yes');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('promoted 2 job(s)\n');
    expect((await q.getJobCounts()).delayed).toBe(0);
    expect((await q.getJobCounts()).waiting).toBe(3);
  });

  it('clean: refused without --yes, deletes with it up to --limit; --state and --grace are required', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    await finished(q, 0, 3);
    refused(await cli('clean', 'orders', '--state', 'completed', '--grace', '0'), 'clean');
    expect((await q.getJobCounts()).completed).toBe(3);
    const run = await cli('clean', 'orders', '--state', 'completed', '--grace', '0', '--limit', '2', '--yes', '--json');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { removed: string[] }).removed).toHaveLength(2);
    expect((await q.getJobCounts()).completed).toBe(1);
    // a grace longer than the jobs' age keeps them
    expect((await cli('clean', 'orders', '--state', 'completed', '--grace', '3600000', '--yes')).stdout).toBe(
      'removed 0 completed job(s)\n',
    );
    expect((await q.getJobCounts()).completed).toBe(1);
    for (const bad of [
      ['--grace', '0'],
      ['--state', 'completed'],
      ['--state', 'done', '--grace', '0'],
      ['--state', 'failed', '--grace', '-1'],
    ]) {
      const usage = await cli('clean', 'orders', ...bad, '--yes');
      expect(usage.code, bad.join(' ')).toBe(2);
    }
  });

  it('pause and resume act on --group only', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    await q.createGroup('billing');
    await q.createGroup('mail');
    const run = await cli('pause', 'orders', '--group', 'billing');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('queue "orders", group "billing": paused\n');
    expect(await q.isPaused({ group: 'billing' })).toBe(true);
    expect(await q.isPaused({ group: 'mail' })).toBe(false);
    const resumed = await cli('resume', 'orders', '--group', 'billing', '--json');
    expect(JSON.parse(resumed.stdout)).toEqual({ queue: 'orders', group: 'billing', paused: false });
    expect(await q.isPaused({ group: 'billing' })).toBe(false);
  });

  it('--prefix is respected: the same queue name under another prefix is not touched', async () => {
    t.newPrefix();
    const mine = t.queue('orders');
    const job = await mine.add('x', 1, { jobId: 'order-1' });
    const otherPrefix = `${t.prefix}-other`;
    const other = t.queue('orders', { prefix: otherPrefix });
    const theirs = await other.add('x', 2, { jobId: 'order-1' });
    const run = await sluice(['remove', 'orders', job.id, '--yes', '--url', t.url, '--prefix', otherPrefix]);
    expect(run.code).toBe(0);
    expect(await other.getJob(theirs.id)).toBeUndefined();
    expect(await mine.getJob(job.id)).toBeDefined();
  });
});
