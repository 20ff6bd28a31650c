// Flows (fan-in) against a real Redis: a parent waits in waiting-children and runs once its
// children completed, reading their values; children in other queues; failure policies; deep
// and wide trees; a retried add; removal of a child.
import { describe, expect, it } from 'vitest';
import { FlowProducer, FlowRefusedError, InvalidOptionError, QueueEvents, UnrecoverableError, type Job } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('flows', () => {
  const t = useRedis();
  const flows = () => t.track(new FlowProducer({ connection: t.url, prefix: t.prefix, logger: quietLogger }));

  it('the parent waits for its children, then runs once and reads their values', async () => {
    t.newPrefix();
    const producer = flows();
    const images = t.queue('images');
    const { job: parent, children } = await producer.add({
      name: 'publish',
      queueName: 'images',
      data: { image: 'cat.png' },
      children: [320, 640, 1280].map((width) => ({ name: 'thumbnail', queueName: 'thumbnails', data: { width } })),
    });
    expect(children).toHaveLength(3);
    expect(await parent.getState()).toBe('waiting-children');
    expect(await (await images.getJob(parent.id))!.getDependenciesCount()).toEqual({ processed: 0, unprocessed: 3, failed: 0 });

    const order: string[] = [];
    let values: Record<string, unknown> = {};
    const done: Job[] = [];
    const parentWorker = t.worker('images', async (job) => {
      order.push(`parent:${job.id}`);
      values = await job.getChildrenValues();
      return Object.keys(values).length;
    });
    parentWorker.on('completed', (job) => done.push(job));
    // the parent is not offered while its children wait
    await parentWorker.waitUntilReady();
    t.worker<{ width: number }>('thumbnails', async (job) => {
      order.push(`child:${job.data.width}`);
      return { width: job.data.width, url: `cat-${job.data.width}.png` };
    });
    await waitFor(() => done.length === 1, 10_000, 'the parent completed');
    expect(order.slice(0, 3).sort()).toEqual(['child:1280', 'child:320', 'child:640']);
    expect(order[3]).toBe(`parent:${parent.id}`);
    expect(order).toHaveLength(4);
    expect(done[0]!.returnvalue).toBe(3);
    const byWidth = Object.values(values).map((v) => (v as { width: number }).width);
    expect(byWidth.sort((a, b) => a - b)).toEqual([320, 640, 1280]);
    expect(Object.keys(values)[0]).toMatch(/:\{thumbnails\}:job:/);
    const child = children![0]!.job;
    expect(await child.getParent()).toEqual({ id: parent.id, queueName: 'images' });
    // the flow read back from its root: the parent and its three completed children
    const tree = await producer.getFlow({ id: parent.id, queueName: 'images' });
    expect(tree!.job.id).toBe(parent.id);
    expect(tree!.children!.map((n) => n.job.queueName)).toEqual(['thumbnails', 'thumbnails', 'thumbnails']);
    expect(tree!.children!.map((n) => (n.job.returnvalue as { width: number }).width).sort((a, b) => a - b)).toEqual([320, 640, 1280]);
    expect(await producer.getFlow({ id: 'nope', queueName: 'images' })).toBeUndefined();
  });

  it('a deep tree runs bottom up, each level after the one below', async () => {
    t.newPrefix();
    const producer = flows();
    // a chain of 30: level 29 is the leaf, level 0 the root
    let node = { name: 'level', queueName: 'deep', data: { level: 29 } } as Parameters<FlowProducer['add']>[0];
    for (let level = 28; level >= 0; level--) node = { name: 'level', queueName: 'deep', data: { level }, children: [node] };
    await producer.add(node);
    const ran: number[] = [];
    t.worker<{ level: number }>('deep', async (job) => {
      const below = Object.values(await job.getChildrenValues<number>());
      ran.push(job.data.level);
      return job.data.level + (below[0] ?? 0);
    });
    await waitFor(() => ran.length === 30, 15_000, 'every level ran');
    expect(ran).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
  });

  it('a wide flow of 10,000 children (several calls) completes; the parent sees every value', async () => {
    t.newPrefix();
    const producer = flows();
    const children = Array.from({ length: 10_000 }, (_, i) => ({ name: 'part', queueName: 'wide', data: { i } }));
    const { job: parent } = await producer.add({ name: 'sum', queueName: 'wide-parent', children });
    let sum = -1;
    const done: Job[] = [];
    t.worker<{ i: number }>('wide', async (job) => job.data.i, { concurrency: 50 });
    const w = t.worker('wide-parent', async (job) => {
      const values = await job.getChildrenValues<number>();
      sum = Object.values(values).reduce((a, b) => a + b, 0);
      return Object.keys(values).length;
    });
    w.on('completed', (job) => done.push(job));
    await waitFor(() => done.length === 1, 60_000, 'the parent completed');
    expect(done[0]!.id).toBe(parent.id);
    expect(done[0]!.returnvalue).toBe(10_000);
    expect(sum).toBe((9_999 * 10_000) / 2);
  }, 90_000);

  it('failure policies: fail-parent (default), ignore, continue-parent, remove-dependency', async () => {
    t.newPrefix();
    const producer = flows();
    const queue = t.queue('pol');
    const kid = (name: string, onFailure?: 'ignore' | 'continue-parent' | 'remove-dependency') => ({
      name,
      queueName: 'pol-kids',
      opts: onFailure ? { onFailure } : {},
    });
    const failing = await producer.add({ name: 'p-fail', queueName: 'pol', children: [kid('bad'), kid('slow')] });
    const ignoring = await producer.add({ name: 'p-ignore', queueName: 'pol', children: [kid('bad', 'ignore'), kid('good')] });
    const removing = await producer.add({ name: 'p-remove', queueName: 'pol', children: [kid('bad', 'remove-dependency'), kid('good')] });
    const continuing = await producer.add({ name: 'p-continue', queueName: 'pol', children: [kid('bad', 'continue-parent'), kid('slow')] });
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    t.worker(
      'pol-kids',
      async (job) => {
        if (job.name === 'bad') throw new UnrecoverableError('broken input');
        if (job.name === 'slow') await slowGate;
        return job.name;
      },
      { concurrency: 10 },
    );
    const ran = new Map<string, { failed: Record<string, string>; values: Record<string, unknown> }>();
    t.worker('pol', async (job) => {
      ran.set(job.name, { failed: await job.getFailedChildrenValues(), values: await job.getChildrenValues() });
      return 'ok';
    });
    await waitFor(async () => (await queue.getJob(failing.job.id))?.failedReason !== undefined, 10_000, 'the parent failed');
    const failed = await queue.getJob(failing.job.id);
    expect(await failed!.getState()).toBe('failed');
    expect(failed!.failedReason).toMatch(/child .*job:\d+ failed: broken input/);
    await waitFor(() => ran.has('p-ignore') && ran.has('p-remove') && ran.has('p-continue'), 10_000, 'the other parents ran');
    expect(ran.has('p-fail')).toBe(false);
    expect(Object.values(ran.get('p-ignore')!.failed)).toEqual(['broken input']);
    expect(Object.values(ran.get('p-ignore')!.values)).toEqual(['good']);
    expect(ran.get('p-remove')!.failed).toEqual({});
    expect(Object.values(ran.get('p-remove')!.values)).toEqual(['good']);
    // continue-parent: ran while its slow sibling was still running
    expect(Object.values(ran.get('p-continue')!.failed)).toEqual(['broken input']);
    expect(ran.get('p-continue')!.values).toEqual({});
    releaseSlow();
    expect(await (await queue.getJob(ignoring.job.id))!.getState()).toBe('completed');
    expect(await (await queue.getJob(removing.job.id))!.getState()).toBe('completed');
    expect(await (await queue.getJob(continuing.job.id))!.getState()).not.toBe('waiting-children');
  });

  it('a child failing for good fails its parent and, in turn, the grandparent', async () => {
    t.newPrefix();
    const producer = flows();
    const queue = t.queue('tree');
    const { job: root, children } = await producer.add({
      name: 'root',
      queueName: 'tree',
      children: [{ name: 'middle', queueName: 'tree', children: [{ name: 'leaf', queueName: 'tree', opts: { attempts: 2 } }] }],
    });
    let leafRuns = 0;
    t.worker('tree', async (job) => {
      if (job.name === 'leaf') {
        leafRuns++;
        throw new Error('disk full');
      }
      return job.name;
    });
    await waitFor(async () => (await (await queue.getJob(root.id))?.getState()) === 'failed', 10_000, 'the root failed');
    expect(leafRuns).toBe(2);
    const middle = await queue.getJob(children![0]!.job.id);
    expect(middle!.failedReason).toMatch(/failed: disk full$/);
    expect((await queue.getJob(root.id))!.failedReason).toMatch(/failed: child .* failed: disk full$/);
    // a failed parent is retried as any dead-lettered job: it runs, its children do not
    await (await queue.getJob(root.id))!.retry();
    await waitFor(async () => (await (await queue.getJob(root.id))?.getState()) === 'completed', 10_000, 'the retried root completed');
    expect(leafRuns).toBe(2);
  });

  it('a retried add with the root jobId adds nothing; a taken child id refuses the flow whole', async () => {
    t.newPrefix();
    const producer = flows();
    const queue = t.queue('idem');
    const flow = { name: 'p', queueName: 'idem', opts: { jobId: 'order-7' }, children: [{ name: 'c', queueName: 'idem' }] };
    const first = await producer.add(flow);
    const again = await producer.add(flow);
    expect(again.job.id).toBe('order-7');
    expect(again.children).toBeUndefined();
    expect((await queue.getJobCounts()).waiting).toBe(1);
    await expect(
      producer.add({ name: 'p2', queueName: 'idem', children: [{ name: 'c', queueName: 'idem', opts: { jobId: 'order-7' } }] }),
    ).rejects.toBeInstanceOf(FlowRefusedError);
    expect((await queue.getJobCounts()).waiting).toBe(1);
    expect(await first.job.getState()).toBe('waiting-children');
  });

  it('removing a pending child removes the dependency; the parent then runs', async () => {
    t.newPrefix();
    const producer = flows();
    const queue = t.queue('rm');
    const { job: parent, children } = await producer.add({
      name: 'p',
      queueName: 'rm',
      children: [{ name: 'gone', queueName: 'rm-kids', opts: { delay: 60_000 } }],
    });
    expect(await queue.getJob(parent.id).then((j) => j!.getState())).toBe('waiting-children');
    const kids = t.queue('rm-kids');
    await (await kids.getJob(children![0]!.job.id))!.remove();
    expect(await kids.getJob(children![0]!.job.id)).toBeUndefined();
    const done: Job[] = [];
    t.worker('rm', async () => 'ran').on('completed', (j) => done.push(j));
    await waitFor(() => done.length === 1, 10_000, 'the parent ran');
  });

  it('the parent is visible: waiting-children in events and explain; obliterate deletes a waiting parent', async () => {
    t.newPrefix();
    const producer = flows();
    const queue = t.queue('seen');
    const events = t.track(new QueueEvents('seen', { connection: t.url, prefix: t.prefix, logger: quietLogger, blockMs: 200 }));
    await events.waitUntilReady();
    const seen: string[] = [];
    events.on('waiting-children', ({ jobId }) => seen.push(`waiting-children:${jobId}`));
    events.on('waiting', ({ jobId }) => seen.push(`waiting:${jobId}`));
    const { job: parent, children } = await producer.add({ name: 'p', queueName: 'seen', children: [{ name: 'c', queueName: 'seen' }] });
    const explained = await queue.explain(parent.id);
    expect(explained.reason).toBe('waiting-children');
    expect(explained.message).toMatch(/runs once its 1 unfinished child are done/);
    t.worker('seen', async () => 'ok');
    await waitFor(() => seen.length === 3, 10_000, 'three events');
    expect(seen).toEqual([`waiting-children:${parent.id}`, `waiting:${children![0]!.job.id}`, `waiting:${parent.id}`]);

    const other = await producer.add({
      name: 'p',
      queueName: 'gone',
      children: [{ name: 'c', queueName: 'gone-kids', opts: { delay: 60_000 } }],
    });
    const gone = t.queue('gone');
    await gone.obliterate();
    expect(await gone.getJob(other.job.id)).toBeUndefined();
    expect(await t.admin.keys(`${t.prefix}:{gone}:*`)).toEqual([]);
  });

  it('bad trees are refused before anything is written', async () => {
    t.newPrefix();
    const producer = flows();
    await expect(
      producer.add({ name: 'p', queueName: 'bad', opts: { delay: 10 }, children: [{ name: 'c', queueName: 'bad' }] }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(
      producer.add({ name: 'p', queueName: 'bad', children: [{ name: 'c', queueName: 'bad', opts: { onFailure: 'explode' as never } }] }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(
      producer.add({
        name: 'p',
        queueName: 'bad',
        children: [{ name: 'c', queueName: 'bad', opts: { onFailure: 'ignore', failParentOnFailure: true } }],
      }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    let deep = { name: 'x', queueName: 'bad' } as Parameters<FlowProducer['add']>[0];
    for (let i = 0; i < 120; i++) deep = { name: 'x', queueName: 'bad', children: [deep] };
    await expect(producer.add(deep)).rejects.toThrow(/at most 100 levels/);
    expect(await t.queue('bad').getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
  });
});
