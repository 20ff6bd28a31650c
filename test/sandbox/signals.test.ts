// The abort signal of a sandboxed processor, in worker threads and in child processes, against a
// real Redis: it fires in the child on worker.close(), on a lost lease and on queue.cancelJob
// (the timeout is in sandbox.test.ts), and the child gets its time to clean up before it is
// stopped. A DelayedError thrown in the child defers the job without using an attempt.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { expireLease } from '../helpers/leases.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

const FILE = new URL('./fixtures/processor.mjs', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'sluice-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Where the fixture's 'record-abort' processor writes the reason its signal aborted with. */
function recordFile(): string {
  return join(dir, `abort-${++files}.json`);
}

function recorded(file: string): { name: string; message: string } {
  return JSON.parse(readFileSync(file, 'utf8')) as { name: string; message: string };
}

/** `promise`, or a failure when it takes longer than `ms`. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(['thread', 'process'] as const)('sandbox signals: %s', (type) => {
  const t = useRedis();

  it('worker.close() aborts the child’s signal and waits for its clean-up; the job is handed back unused', async () => {
    t.newPrefix();
    const queue = t.queue('close');
    const record = recordFile();
    const job = await queue.add('record-abort', { record }, { attempts: 1 });
    const worker = t.worker('close', FILE, { sandbox: { type } });
    await waitForEvent(worker, 'active', 10_000);
    await worker.close({ timeoutMs: 0 });
    // the child had its 100 ms of clean-up before it was stopped
    expect(existsSync(record)).toBe(true);
    expect(recorded(record).name).toBe('ShutdownError');
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('waiting');
    expect(stored!.attemptsMade).toBe(0);
  });

  it('worker.close() stops a child that ignores its abort after killAfterMs, and resolves', async () => {
    t.newPrefix();
    const queue = t.queue('close-ignored');
    const job = await queue.add('ignore-abort', null, { attempts: 1 });
    const worker = t.worker('close-ignored', FILE, { sandbox: { type, killAfterMs: 300 } });
    await waitForEvent(worker, 'active', 10_000);
    const started = Date.now();
    await within(10_000, 'close()', worker.close({ timeoutMs: 0 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('waiting');
    expect(stored!.attemptsMade).toBe(0);
  });

  it('a lost lease aborts the child’s signal; the new holder’s run counts, the first is discarded', async () => {
    t.newPrefix();
    const queue = t.queue('lost');
    const record = recordFile();
    const job = await queue.add('record-abort', { record });
    const a = t.worker('lost', FILE, { sandbox: { type }, leaseMs: 600 });
    const failedA: unknown[] = [];
    a.on('failed', (j) => failedA.push(j));
    const lost = waitForEvent<[string, Error]>(a, 'lost', 20_000);
    const [jobA] = await waitForEvent<[Job]>(a, 'active', 10_000);
    const b = t.worker('lost', async () => 'B', { leaseMs: 600, blockMs: 200 });
    const doneB = waitForEvent<[Job, unknown]>(b, 'completed', 20_000);
    await expireLease(t.admin, queue.keys, job.id, jobA.token!);
    expect((await lost)[0]).toBe(job.id);
    await waitFor(() => existsSync(record), 10_000, 'the child to see its abort');
    expect(recorded(record).name).toBe('LeaseLostError');
    expect((await doneB)[1]).toBe('B');
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('completed');
    expect(stored!.attemptsMade).toBe(0);
    expect(failedA).toEqual([]);
  });

  it('queue.cancelJob aborts a running sandboxed job: the child sees it, the job fails for good', async () => {
    t.newPrefix();
    const queue = t.queue('cancel');
    const record = recordFile();
    const job = await queue.add('record-abort', { record }, { attempts: 3 });
    const worker = t.worker('cancel', FILE, { sandbox: { type, size: 1 }, concurrency: 1, leaseMs: 900 });
    const failed = waitForEvent<[Job, Error, boolean]>(worker, 'failed', 20_000);
    await waitForEvent(worker, 'active', 10_000);
    expect(await queue.cancelJob(job.id, 'the customer withdrew')).toBe(true);
    const [, err, willRetry] = await failed;
    expect(err.name).toBe('JobCancelledError');
    expect(willRetry).toBe(false);
    await waitFor(() => existsSync(record), 10_000, 'the child to see its abort');
    expect(recorded(record)).toEqual({ name: 'JobCancelledError', message: 'the customer withdrew' });
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.failedReason).toBe('the customer withdrew');
    expect(stored!.attemptsMade).toBe(1);
  });

  it('a DelayedError thrown in the child defers the job: it runs again later, no attempt used, no failure', async () => {
    t.newPrefix();
    const queue = t.queue('defer');
    const job = await queue.add('defer', { ms: 300 }, { attempts: 1 });
    const worker = t.worker('defer', FILE, { sandbox: { type } });
    const failures: Error[] = [];
    worker.on('failed', (_j, err) => failures.push(err));
    const done = waitForEvent<[Job, { deliveries: number; attemptsMade: number; processedOn: number }]>(worker, 'completed', 20_000);
    const [first] = await waitForEvent<[Job]>(worker, 'active', 10_000);
    const [, result] = await done;
    expect(failures).toEqual([]);
    expect(result.deliveries).toBe(2);
    expect(result.attemptsMade).toBe(0);
    expect(result.processedOn - first.processedOn!).toBeGreaterThanOrEqual(300);
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('completed');
    expect(stored!.attemptsMade).toBe(0);
    expect(stored!.failedReason).toBeUndefined();
  });
});
