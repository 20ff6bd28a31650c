// Flows of more than one add-flow call (more than 500 jobs) are atomic too: written held, unseen,
// until the last call commits them; then placed a batch at a time, by the producer or, if it
// stopped, by the root queue's workers (lua/includes/flowPlace.lua). Against a real Redis.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlowProducer, FlowRefusedError, type Job } from '../../src/index.js';
import { ControlScripts } from '../../src/redis/control-scripts.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

/** A parent in `parentQueue` with `n` children in `childQueue`. */
function wideFlow(parentQueue: string, childQueue: string, n: number, rootId?: string) {
  return {
    name: 'sum',
    queueName: parentQueue,
    ...(rootId ? { opts: { jobId: rootId } } : {}),
    children: Array.from({ length: n }, (_, i) => ({ name: 'part', queueName: childQueue, data: { i } })),
  };
}

describe('flows of several calls', () => {
  const t = useRedis();
  const flows = () => t.track(new FlowProducer({ connection: t.url, prefix: t.prefix, logger: quietLogger }));
  afterEach(() => vi.restoreAllMocks());

  it('an add that stops before its last call leaves no job anyone sees, and its held jobs expire', async () => {
    t.newPrefix();
    const producer = flows();
    const parents = t.queue('held-parent');
    const kids = t.queue('held-kids');
    await kids.add('taken', null, { jobId: 'kid-1100' });
    const flow = wideFlow('held-parent', 'held-kids', 1200, 'root-1');
    // the third call's child id is taken: the flow is refused there, after two calls were held
    flow.children[1100]!.opts = { jobId: 'kid-1100' } as never;
    await expect(producer.add(flow)).rejects.toBeInstanceOf(FlowRefusedError);
    expect(await parents.getJobCounts()).toMatchObject({ waiting: 0, 'waiting-children': 0, delayed: 0 });
    expect(await kids.getJobCounts()).toMatchObject({ waiting: 1, delayed: 0 });
    expect(await kids.getJobIds('waiting')).toEqual(['kid-1100']);
    // the held records expire (a week), and a retry under the same root id says why it is refused
    const rootKey = parents.keys.job('root-1');
    expect(await t.admin.pttl(rootKey)).toBeGreaterThan(6 * 86_400_000);
    const retry = await producer.add(wideFlow('held-parent', 'held-kids', 1200, 'root-1')).catch((e: unknown) => e);
    expect(retry).toBeInstanceOf(FlowRefusedError);
    expect((retry as Error).message).toMatch(/stopped before its last call/);
    // a worker sees none of it
    const ran: string[] = [];
    t.worker('held-kids', async (job) => void ran.push(job.id), { blockMs: 200 });
    await waitFor(() => ran.length === 1, 10_000, 'the one real job');
    expect(ran).toEqual(['kid-1100']);
  });

  it('a producer that stops right after its commit: the root queue workers place the rest, and the flow completes', async () => {
    t.newPrefix();
    const producer = flows();
    // the producer dies after its last add-flow call, before placing anything
    vi.spyOn(ControlScripts.prototype, 'placeFlow').mockRejectedValueOnce(new Error('the producer stopped'));
    await expect(producer.add(wideFlow('after-parent', 'after-kids', 1500, 'root-2'))).rejects.toThrow('the producer stopped');
    const parents = t.queue('after-parent');
    const kids = t.queue('after-kids');
    expect((await kids.getJobCounts()).waiting).toBe(0);
    expect(await t.admin.hget(parents.keys.meta, 'flows')).toBe('1');
    // the children's workers alone see nothing yet; the root queue's worker places the flow
    const sums: number[] = [];
    t.worker<{ i: number }>('after-kids', async (job) => job.data.i, { concurrency: 50 });
    const parentWorker = t.worker('after-parent', async (job) => {
      const values = await job.getChildrenValues<number>();
      sums.push(Object.values(values).reduce((a, b) => a + b, 0));
      return Object.keys(values).length;
    });
    const done: Job[] = [];
    parentWorker.on('completed', (job) => done.push(job));
    await waitFor(() => done.length === 1, 60_000, 'the parent completed');
    expect(done[0]!.id).toBe('root-2');
    expect(done[0]!.returnvalue).toBe(1500);
    expect(sums).toEqual([(1499 * 1500) / 2]);
    expect(await t.admin.hget(parents.keys.meta, 'flows')).toBeNull();
    expect(await t.admin.llen(parents.keys.flows)).toBe(0);
    // placed for good: no record of the flow expires
    expect(await t.admin.pttl(parents.keys.job('root-2'))).toBe(-1);
  }, 90_000);

  it('a retried add of a committed flow returns its root and adds nothing', async () => {
    t.newPrefix();
    const producer = flows();
    const first = await producer.add(wideFlow('again-parent', 'again-kids', 700, 'root-3'));
    expect(first.children).toHaveLength(700);
    const again = await producer.add(wideFlow('again-parent', 'again-kids', 700, 'root-3'));
    expect(again.job.id).toBe('root-3');
    expect(again.children).toBeUndefined();
    expect((await t.queue('again-kids').getJobCounts()).waiting).toBe(700);
    expect(await first.job.getState()).toBe('waiting-children');
  });
});
