// A job's data longer than 64 bytes is spread over several fields of its record, so that the
// record stays a compact hash (lua/includes/jobData.lua, src/job/job-data.ts): every path that
// writes or reads data gets it back exactly — multi-byte text cut near a piece boundary, a
// retry, updateData both ways, fan-out copies of a delayed job — and a record missing a piece
// is dead-lettered, not run with part of its data.
import { describe, expect, it } from 'vitest';
import { MalformedJobError } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { collectEvents, waitFor, waitForEvent } from '../helpers/wait.js';

interface Data {
  text: string;
}

/** Text of about `bytes` UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters, so cuts fall inside characters. */
function mixed(bytes: number): string {
  const parts = ['a', 'é', '€', '😀', 'bc'];
  let text = '';
  let k = 0;
  while (Buffer.byteLength(text) < bytes) text += parts[k++ % parts.length];
  return text;
}

describe('job data spread over a record', () => {
  const t = useRedis();

  it('plain jobs of every size come back exact to the processor and to getJob; records up to ~3.8 KB stay listpack', async () => {
    t.newPrefix();
    const queue = t.queue<Data>('spread');
    const texts = [10, 50, 63, 64, 65, 100, 200, 500, 1000, 3000, 5000].flatMap((n) => ['x'.repeat(n), mixed(n)]);
    const seen = new Map<string, string>();
    const worker = t.worker<Data>('spread', async (job) => {
      seen.set(job.id, job.data.text);
      return job.data.text.length;
    });
    const done = collectEvents(worker, 'completed', texts.length);
    const jobs = await queue.addBulk(texts.map((text) => ({ name: 'j', data: { text }, opts: { removeOnComplete: false } })));
    await done;
    for (const [k, job] of jobs.entries()) {
      expect(seen.get(job.id)).toBe(texts[k]);
      const stored = await queue.getJob(job.id);
      expect(stored?.data.text).toBe(texts[k]);
      const bytes = Buffer.byteLength(JSON.stringify({ text: texts[k] }));
      const encoding = await t.admin.object('ENCODING', queue.keys.job(job.id));
      expect([job.id, encoding]).toEqual([job.id, bytes <= 3840 ? 'listpack' : 'hashtable']);
    }
  });

  it('a job removed on completion keeps its data whole while it runs (nothing to save); failed, it reads back exact', async () => {
    t.newPrefix();
    const queue = t.queue<Data>('removed');
    const text = mixed(300);
    let encoding: unknown;
    const worker = t.worker<Data>('removed', async (job) => {
      encoding = await t.admin.object('ENCODING', queue.keys.job(job.id));
      throw new Error(job.data.text === text ? 'fail on purpose' : 'data differs');
    });
    const failed = waitForEvent(worker, 'failed');
    const job = await queue.add('r', { text }, { removeOnComplete: true });
    const [, error] = await failed;
    expect((error as Error).message).toBe('fail on purpose');
    expect(encoding).toBe('hashtable');
    expect((await queue.getJob(job.id))?.data.text).toBe(text);
  });

  it('a retried job and a job with its own id read their spread data back whole; updateData replaces it both ways', async () => {
    t.newPrefix();
    const queue = t.queue<Data>('retry');
    const long = mixed(700);
    const runs: string[] = [];
    const worker = t.worker<Data>('retry', async (job) => {
      runs.push(job.data.text);
      if (runs.length === 1) throw new Error('once');
      return 'ok';
    });
    const completed = waitForEvent(worker, 'completed');
    await queue.add('r', { text: long }, { attempts: 2, backoff: 10 });
    await completed;
    expect(runs).toEqual([long, long]);
    await worker.close();

    const own = await queue.add('own', { text: mixed(300) }, { jobId: 'own-1', delay: 60_000 });
    const key = queue.keys.job(own.id);
    const fieldsOf = async () => (await t.admin.hkeys(key)).filter((f) => /^d\d+$/.test(f)).length;
    expect(await fieldsOf()).toBeGreaterThan(1);
    await own.updateData({ text: 'short' });
    expect((await queue.getJob(own.id))?.data.text).toBe('short');
    expect(await fieldsOf()).toBe(0);
    const longer = mixed(1500);
    await own.updateData({ text: longer });
    expect((await queue.getJob(own.id))?.data.text).toBe(longer);
    expect(await fieldsOf()).toBeGreaterThan(20);
    expect(await t.admin.object('ENCODING', key)).toBe('listpack');
  });

  it('fan-out: a delayed job with long data reaches every group whole', async () => {
    t.newPrefix();
    const queue = t.queue<Data>('fan');
    for (const g of ['a', 'b']) await queue.createGroup(g);
    const text = mixed(900);
    const seen: Record<string, string> = {};
    const workers = ['a', 'b'].map((g) =>
      t.worker<Data>(
        'fan',
        async (job) => {
          seen[g] = job.data.text;
        },
        { group: g, blockMs: 300 },
      ),
    );
    const done = Promise.all(workers.map((w) => waitForEvent(w, 'completed', 15_000)));
    await queue.add('d', { text }, { delay: 100 });
    await done;
    expect(seen).toEqual({ a: text, b: text });
  });

  it('a record missing a piece of its data is dead-lettered as malformed; the queue goes on', async () => {
    t.newPrefix();
    const queue = t.queue<Data>('torn');
    const torn = await queue.add('t', { text: 'y'.repeat(300) }, { jobId: 'torn-1', delay: 60_000 });
    await t.admin.hdel(queue.keys.job(torn.id), 'd2');
    await queue.promoteJobs();
    const ran: string[] = [];
    const worker = t.worker<Data>('torn', async (job) => {
      ran.push(job.id);
    });
    const failed = waitForEvent(worker, 'failed');
    const [, error] = await failed;
    expect(error).toBeInstanceOf(MalformedJobError);
    const next = waitForEvent(worker, 'completed');
    const fine = await queue.add('t', { text: 'z'.repeat(300) });
    await next;
    expect(ran).toEqual([fine.id]);
    await waitFor(async () => (await queue.getJob(torn.id))?.failedReason !== undefined, 5000, 'the torn job is failed');
  });
});
