// job.updateData and job.changePriority against a real Redis: what each changes (the record,
// the place in line), for which states, and the typed errors where they do not apply.
import { describe, expect, it } from 'vitest';
import {
  DelayedError,
  InvalidOptionError,
  InvalidPayloadError,
  type Job,
  JobNotFoundError,
  JobStateError,
  PayloadTooLargeError,
} from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('job.updateData', () => {
  const t = useRedis();

  it('a step job keeps its state between steps; the Job object and the record follow', async () => {
    t.newPrefix();
    const queue = t.queue<{ step: number; seen: number[] }>('upd-steps');
    const job = await queue.add('walk', { step: 0, seen: [] });
    const runs: { step: number; seen: number[] }[] = [];
    const completed: Job[] = [];
    const worker = t.worker<{ step: number; seen: number[] }>('upd-steps', async (j) => {
      runs.push(j.data);
      if (j.data.step === 2) return j.data.seen;
      await j.updateData({ step: j.data.step + 1, seen: [...j.data.seen, j.data.step] });
      expect(j.data.step).toBe(runs.at(-1)!.step + 1); // the object follows
      throw new DelayedError(20);
    });
    worker.on('completed', (j) => completed.push(j));
    await waitFor(() => completed.length === 1, 10_000, 'the job completed');
    expect(runs.map((r) => r.step)).toEqual([0, 1, 2]);
    expect(completed[0]!.returnvalue).toEqual([0, 1]);
    expect((await queue.getJob(job.id))!.data).toEqual({ step: 2, seen: [0, 1] });
  });

  it('rewrites a waiting job with a record and a delayed job; the worker runs the new data', async () => {
    t.newPrefix();
    const queue = t.queue<{ v: number }>('upd-wait');
    const waiting = await queue.add('w', { v: 1 }, { jobId: 'with-id' });
    const delayed = await queue.add('d', { v: 1 }, { delay: 60_000 });
    await waiting.updateData({ v: 2 });
    expect(waiting.data).toEqual({ v: 2 });
    await delayed.updateData({ v: 3 });
    expect((await queue.getJob('with-id'))!.data).toEqual({ v: 2 });
    expect((await queue.getJob(delayed.id))!.data).toEqual({ v: 3 });
    await delayed.promote();
    const seen: number[] = [];
    t.worker<{ v: number }>('upd-wait', async (j) => seen.push(j.data.v));
    await waitFor(() => seen.length === 2, 10_000, 'both jobs run');
    expect(seen.sort()).toEqual([2, 3]);
  });

  it('a plain job still in the stream leaves it with its new data, ahead of the stream; each unread group too', async () => {
    t.newPrefix();
    const queue = t.queue<{ v: number }>('upd-plain');
    await queue.createGroup('default');
    await queue.createGroup('audit');
    const first = await queue.add('first', { v: 1 });
    const plain = await queue.add('plain', { v: 1 });
    const stream = queue.keys.stream;
    expect(await t.admin.xlen(stream)).toBe(2);
    await plain.updateData({ v: 2 });
    expect(plain.data).toEqual({ v: 2 });
    // its entry is gone; it runs first (the wait list goes before the stream), with the new data
    // in the default group; audit, which had not read it either, keeps the data it was added with
    expect(await t.admin.xlen(stream)).toBe(1);
    expect((await queue.getJob(plain.id))!.data).toEqual({ v: 2 });
    expect((await queue.getJob(plain.id, { group: 'audit' }))!.data).toEqual({ v: 1 });
    const runs: Record<string, string[]> = { default: [], audit: [] };
    for (const group of ['default', 'audit'] as const) {
      t.worker<{ v: number }>('upd-plain', async (j) => runs[group]!.push(`${j.name}:${j.data.v}`), { group, concurrency: 1, prefetch: 0 });
    }
    await waitFor(() => runs.default!.length === 2 && runs.audit!.length === 2, 10_000, 'both groups ran both jobs');
    expect(runs).toEqual({ default: ['plain:2', 'first:1'], audit: ['plain:1', 'first:1'] });
    expect(first.id).not.toBe(plain.id);
  });

  it('a job with its own id in the stream, unread by its group: the group gets its own record, and the job keeps its place', async () => {
    t.newPrefix();
    const queue = t.queue<{ v: number }>('upd-own');
    await queue.createGroup('billing');
    await queue.createGroup('audit');
    await queue.add('first', { v: 1 }, { jobId: 'o1' });
    const second = await queue.add('second', { v: 1 }, { jobId: 'o2' });
    await queue.add('third', { v: 1 }, { jobId: 'o3' });
    const billing = (await queue.getJob('o2', { group: 'billing' }))!;
    await billing.updateData({ v: 5 });
    expect(await t.admin.xlen(queue.keys.stream)).toBe(3);
    const runs: Record<string, string[]> = { billing: [], audit: [] };
    for (const group of ['billing', 'audit'] as const) {
      t.worker<{ v: number }>('upd-own', async (j) => runs[group]!.push(`${j.name}:${j.data.v}`), { group, concurrency: 1, prefetch: 0 });
    }
    await waitFor(() => runs.billing!.length === 3 && runs.audit!.length === 3, 10_000, 'both groups ran the jobs');
    expect(runs).toEqual({ billing: ['first:1', 'second:5', 'third:1'], audit: ['first:1', 'second:1', 'third:1'] });
    // the published record went once both groups had their copies
    expect(await t.admin.exists(queue.keys.job(second.id))).toBe(0);
  });

  it('refuses a finished job, bad data, and a job that is gone', async () => {
    t.newPrefix();
    const queue = t.queue('upd-bad', { maxPayloadBytes: 1024 });
    const recorded = await queue.add('r', { a: 1 }, { jobId: 'r1' });
    await expect(recorded.updateData({ big: 'x'.repeat(2000) })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(recorded.updateData({ n: 10n } as unknown as object)).rejects.toBeInstanceOf(InvalidPayloadError);
    expect(recorded.data).toEqual({ a: 1 });

    const done: string[] = [];
    t.worker('upd-bad', async (j) => j.id).on('completed', (j) => done.push(j.id));
    await waitFor(() => done.length === 1, 10_000, 'the job done');
    const finished = await recorded.updateData({ a: 3 }).catch((e: unknown) => e);
    expect(finished).toBeInstanceOf(JobStateError);
    expect((finished as JobStateError).state).toBe('completed');
    await recorded.remove();
    await expect(recorded.updateData({ a: 4 })).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe('job.changePriority', () => {
  const t = useRedis();

  /** Runs the queue's jobs one at a time; resolves with their names in the order they ran. */
  async function runOrder(name: string, count: number): Promise<string[]> {
    const order: string[] = [];
    t.worker(name, async (j) => order.push(j.name), { concurrency: 1, prefetch: 0 });
    await waitFor(() => order.length === count, 10_000, `${count} jobs run`);
    return order;
  }

  it('moves a prioritised job behind the jobs of its new priority, to the front with lifo, ahead of priorities with 0', async () => {
    t.newPrefix();
    const queue = t.queue('prio-move');
    await queue.add('a', null, { priority: 5 });
    await queue.add('b', null, { priority: 5 });
    const c = await queue.add('c', null, { priority: 5 });
    const d = await queue.add('d', null, { priority: 9 });
    const e = await queue.add('e', null, { priority: 9 });
    await queue.add('f', null, { priority: 2 });
    await c.changePriority({ priority: 1 });
    await d.changePriority({ lifo: true });
    await e.changePriority({ priority: 0 });
    // wait list first (d at the front, e at the end), then by priority: c (1), f (2), a, b (5)
    expect(await runOrder('prio-move', 6)).toEqual(['d', 'e', 'c', 'f', 'a', 'b']);
  });

  it('a delayed job keeps its new priority for when it is due; a read job shows it', async () => {
    t.newPrefix();
    const queue = t.queue('prio-delayed');
    await queue.add('x', null, { priority: 3 });
    const late = await queue.add('late', null, { priority: 8, delay: 60_000 });
    await late.changePriority({ priority: 1 });
    expect((await queue.getJob(late.id))!.opts.priority).toBe(1);
    await late.promote();
    expect(await runOrder('prio-delayed', 2)).toEqual(['late', 'x']);
  });

  it('a lifo job becomes prioritised, and a read job shows lifo false', async () => {
    t.newPrefix();
    const queue = t.queue('prio-lifo');
    const l = await queue.add('l', null, { lifo: true });
    await queue.add('p', null, { priority: 1 });
    await l.changePriority({ priority: 2 });
    const read = (await queue.getJob(l.id))!;
    expect(read.opts).toMatchObject({ priority: 2, lifo: false });
    expect(await runOrder('prio-lifo', 2)).toEqual(['p', 'l']);
  });

  it('moves the job in every group that has it waiting; a group that ran it already keeps its state', async () => {
    t.newPrefix();
    const queue = t.queue('prio-groups');
    await queue.createGroup('default');
    await queue.createGroup('audit');
    await queue.add('a', null, { priority: 4 });
    const b = await queue.add('b', null, { priority: 4 });
    await b.changePriority({ priority: 2 });
    const order: Record<string, string[]> = { default: [], audit: [] };
    for (const group of ['default', 'audit']) {
      t.worker('prio-groups', async (j) => order[group]!.push(j.name), { group, concurrency: 1, prefetch: 0 });
    }
    await waitFor(() => order.default!.length === 2 && order.audit!.length === 2, 10_000, 'both groups ran both jobs');
    expect(order).toEqual({ default: ['b', 'a'], audit: ['b', 'a'] });
    expect((await queue.getJob(b.id, { group: 'audit' }))!.opts.priority).toBe(2);
  });

  it('refuses bad options, an ordered job, an active job, a finished one and one that is gone', async () => {
    t.newPrefix();
    const queue = t.queue('prio-bad');
    const pj = await queue.add('p', null, { priority: 4 });
    for (const bad of [{ priority: -1 }, { priority: 1.5 }, { priority: 2_097_153 }, { priority: 2, lifo: true }, { other: 1 }]) {
      await expect(pj.changePriority(bad as { priority?: number })).rejects.toBeInstanceOf(InvalidOptionError);
    }
    const ordered = await queue.add('ordered', null, { orderingKey: 'k1' });
    const orderedErr = await ordered.changePriority({ priority: 1 }).catch((e: unknown) => e);
    expect(orderedErr).toBeInstanceOf(JobStateError);
    expect((orderedErr as Error).message).toMatch(/ordering key/);

    let release: () => void = () => undefined;
    const running = new Promise<void>((r) => {
      release = r;
    });
    const started: string[] = [];
    t.worker('prio-bad', async (j) => {
      started.push(j.name);
      if (j.name === 'p') await running;
    });
    await waitFor(() => started.includes('p'), 10_000, 'the prioritised job runs');
    const activeErr = await pj.changePriority({ priority: 1 }).catch((e: unknown) => e);
    expect(activeErr).toBeInstanceOf(JobStateError);
    expect((activeErr as JobStateError).state).toBe('active');
    release();
    await waitFor(async () => (await pj.getState()) === 'completed', 10_000, 'completed');
    const doneErr = await pj.changePriority({ priority: 1 }).catch((e: unknown) => e);
    expect((doneErr as JobStateError).state).toBe('completed');
    await pj.remove();
    await expect(pj.changePriority({ priority: 1 })).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('a job still in the stream, plain or with its own id, leaves it for its new place', async () => {
    t.newPrefix();
    const queue = t.queue('prio-stream');
    await queue.add('a', null);
    const b = await queue.add('b', null);
    const c = await queue.add('c', null, { jobId: 'own-c' });
    await queue.add('d', null, { priority: 3 });
    await b.changePriority({ priority: 1 });
    await c.changePriority({ lifo: true });
    expect(await t.admin.xlen(queue.keys.stream)).toBe(1);
    expect((await queue.getJob(b.id))!.opts.priority).toBe(1);
    // the wait list (c), the stream (a: jobs without a priority go first), then by priority (b 1, d 3)
    expect(await runOrder('prio-stream', 4)).toEqual(['c', 'a', 'b', 'd']);
  });

  it('fan-out: a group that read the job keeps it; the groups that have not get it at its new place', async () => {
    t.newPrefix();
    const queue = t.queue('prio-fan');
    await queue.createGroup('fast');
    await queue.createGroup('slow');
    await queue.add('a', null);
    const b = await queue.add('b', null);
    // fast reads both (and runs them); slow reads none
    const fast: string[] = [];
    const fastWorker = t.worker('prio-fan', async (j) => fast.push(j.name), { group: 'fast' });
    await waitFor(() => fast.length === 2, 10_000, 'fast ran both');
    await fastWorker.close();
    await b.changePriority({ lifo: true });
    expect(await (await queue.getJob(b.id, { group: 'fast' }))!.getState()).toBe('completed');
    expect((await queue.getJob(b.id, { group: 'slow' }))!.opts.lifo).toBe(true);
    const slow: string[] = [];
    t.worker('prio-fan', async (j) => slow.push(j.name), { group: 'slow', concurrency: 1, prefetch: 0 });
    await waitFor(() => slow.length === 2, 10_000, 'slow ran both');
    expect(slow).toEqual(['b', 'a']);
    expect(fast.sort()).toEqual(['a', 'b']);
  });
});
