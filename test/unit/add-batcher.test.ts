// AddBatcher and sendInChunks (src/queue/add-batcher.ts), driven through their own injected
// send function (what the Queue passes is Scripts.enqueue): add() calls of one tick share one
// send of at most maxBatch items, each caller gets its own result or error; a bulk sent in
// chunks accounts for every item. Redis-free.
import { describe, expect, it } from 'vitest';
import { AddBatcher, sendInChunks } from '../../src/queue/add-batcher.js';
import type { EnqueueItem, EnqueueStatus } from '../../src/redis/scripts.js';

const item = (i: number): EnqueueItem => ({ id: '', name: `job-${i}`, data: String(i), opts: '{}', schedule: '' });
type Reply = { now: number; jobs: { id: string; status: EnqueueStatus }[] };

/** A send that records each call and answers every item as added, with ids from the item names. */
function recordingSend(now = 1000) {
  const calls: EnqueueItem[][] = [];
  const send = async (items: EnqueueItem[]): Promise<Reply> => {
    calls.push(items);
    return { now, jobs: items.map((it) => ({ id: `id-${it.name}`, status: 'added' as EnqueueStatus })) };
  };
  return { calls, send };
}

/** A ReplyError as ioredis makes it: Redis refused the call with this reply. */
function replyError(message: string): Error {
  const err = new Error(message);
  err.name = 'ReplyError';
  return err;
}

describe('AddBatcher', () => {
  it('add() calls made in one tick travel in one send, in order, and each caller gets its own job', async () => {
    const { calls, send } = recordingSend(42);
    const batcher = new AddBatcher(send, 250);
    const results = await Promise.all([0, 1, 2].map((i) => batcher.add(item(i))));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((it) => it.name)).toEqual(['job-0', 'job-1', 'job-2']);
    expect(results.map((r) => r.id)).toEqual(['id-job-0', 'id-job-1', 'id-job-2']);
    expect(results.every((r) => r.now === 42 && r.status === 'added')).toBe(true);
  });

  it('more adds than maxBatch are split into sends of at most maxBatch', async () => {
    const { calls, send } = recordingSend();
    const batcher = new AddBatcher(send, 4);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.add(item(i))));
    expect(calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(results.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `id-job-${i}`));
  });

  it('adds of a later tick make a new send', async () => {
    const { calls, send } = recordingSend();
    const batcher = new AddBatcher(send, 250);
    await batcher.add(item(0));
    await batcher.add(item(1));
    expect(calls.map((c) => c.length)).toEqual([1, 1]);
  });

  it('a failed send rejects every caller of its batch, each with an error of its own from toError', async () => {
    const cause = new Error('connection lost');
    const batcher = new AddBatcher(
      async () => Promise.reject(cause),
      250,
      (err) => new Error('wrapped', { cause: err }),
    );
    const settled = await Promise.allSettled([batcher.add(item(0)), batcher.add(item(1))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    const [a, b] = settled.map((s) => (s as PromiseRejectedResult).reason as Error);
    expect(a!.cause).toBe(cause);
    expect(b!.cause).toBe(cause);
    expect(a).not.toBe(b);
  });

  it('a failed batch does not fail the other batches of the tick', async () => {
    let n = 0;
    const batcher = new AddBatcher(async (items) => {
      if (n++ === 0) throw new Error('first batch lost');
      return { now: 1, jobs: items.map((it) => ({ id: it.name, status: 'added' as EnqueueStatus })) };
    }, 2);
    const settled = await Promise.allSettled([0, 1, 2].map((i) => batcher.add(item(i))));
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  it('each caller learns its own status (a duplicate id, a debounce, a full queue)', async () => {
    const statuses: EnqueueStatus[] = ['added', 'existed', 'replaced', 'full'];
    const batcher = new AddBatcher(async (items) => ({ now: 1, jobs: items.map((it, i) => ({ id: it.name, status: statuses[i]! })) }), 250);
    const results = await Promise.all([0, 1, 2, 3].map((i) => batcher.add(item(i))));
    expect(results.map((r) => r.status)).toEqual(statuses);
  });
});

describe('sendInChunks', () => {
  const toJob = (index: number, id: string, now: number) => ({ index, id, now });
  const neverProbe = () => () => false;

  it('sends chunks of chunkSize and returns every job, in input order', async () => {
    const { calls, send } = recordingSend(7);
    const out = await sendInChunks(
      Array.from({ length: 7 }, (_, i) => item(i)),
      send,
      3,
      2,
      toJob,
      neverProbe,
    );
    expect(calls.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(out.added.map((j) => j.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(out.added[4]).toEqual({ index: 4, id: 'id-job-4', now: 7 });
    expect(out).toMatchObject({ notAdded: [], unknown: [], failed: false, failure: undefined });
  });

  it('no items: nothing sent, nothing failed', async () => {
    const { calls, send } = recordingSend();
    const out = await sendInChunks([], send, 3, 2, toJob, neverProbe);
    expect(calls).toHaveLength(0);
    expect(out).toEqual({ added: [], notAdded: [], unknown: [], failed: false, failure: undefined });
  });

  it('items the queue refused as full are not added, and nothing after the window is sent', async () => {
    const calls: EnqueueItem[][] = [];
    const send = async (items: EnqueueItem[]): Promise<Reply> => {
      calls.push(items);
      // room for 4 jobs in all
      const before = calls.slice(0, -1).reduce((n, c) => n + c.length, 0);
      return { now: 1, jobs: items.map((it, k) => ({ id: it.name, status: (before + k < 4 ? 'added' : 'full') as EnqueueStatus })) };
    };
    const out = await sendInChunks(
      Array.from({ length: 10 }, (_, i) => item(i)),
      send,
      3,
      2,
      toJob,
      neverProbe,
    );
    expect(calls).toHaveLength(2); // one window of two chunks, then it stops
    expect(out.added.map((j) => j.index)).toEqual([0, 1, 2, 3]);
    expect(out.notAdded).toEqual([4, 5, 6, 7, 8, 9]);
    expect(out.failed).toBe(false);
  });

  it('a chunk whose reply was lost is unknown; the rest of its window is added; later windows are never sent', async () => {
    const lost = new Error('Connection is closed.');
    let n = 0;
    const send = async (items: EnqueueItem[]): Promise<Reply> => {
      if (n++ === 1) throw lost;
      return { now: 1, jobs: items.map((it) => ({ id: it.name, status: 'added' as EnqueueStatus })) };
    };
    const out = await sendInChunks(
      Array.from({ length: 8 }, (_, i) => item(i)),
      send,
      2,
      2,
      toJob,
      neverProbe,
    );
    expect(n).toBe(2);
    expect(out.added.map((j) => j.index)).toEqual([0, 1]);
    expect(out.unknown).toEqual([2, 3]);
    expect(out.notAdded).toEqual([4, 5, 6, 7]);
    expect(out).toMatchObject({ failed: true, failure: lost });
  });

  it('a chunk Redis refused before writing (OOM) is certainly not added', async () => {
    const oom = replyError("OOM command not allowed when used memory > 'maxmemory'.");
    const out = await sendInChunks([item(0), item(1), item(2)], async () => Promise.reject(oom), 2, 1, toJob, neverProbe);
    expect(out.notAdded).toEqual([0, 1, 2]);
    expect(out.unknown).toEqual([]);
    expect(out.failure).toBe(oom);
  });

  it('a chunk the probe says was never written (queued offline) is not added; another error reply is unknown', async () => {
    const down = new Error('Connection is closed.');
    const offline = await sendInChunks(
      [item(0), item(1)],
      async () => Promise.reject(down),
      5,
      1,
      toJob,
      () => () => true,
    );
    expect(offline).toMatchObject({ notAdded: [0, 1], unknown: [] });
    const other = await sendInChunks([item(0), item(1)], async () => Promise.reject(replyError('ERR something')), 5, 1, toJob, neverProbe);
    expect(other).toMatchObject({ notAdded: [], unknown: [0, 1] });
  });

  it('the probe is taken before each window is sent', async () => {
    const { send } = recordingSend();
    let probes = 0;
    await sendInChunks(
      Array.from({ length: 5 }, (_, i) => item(i)),
      send,
      1,
      2,
      toJob,
      () => {
        probes++;
        return () => false;
      },
    );
    expect(probes).toBe(3);
  });
});
