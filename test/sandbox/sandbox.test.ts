// Sandboxed processors (src/sandbox): a processor file run in worker threads and in child
// processes, against a real Redis. CPU-bound work longer than the lease completes once (the
// worker's event loop stays free to renew), calls from inside reach Redis, aborts reach the
// child (and a child that ignores them is stopped), crashes and out-of-memory fail the attempt
// with a reason and the next job runs in a new child.
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type Job, SandboxError, type Worker } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const FILE = new URL('./fixtures/processor.mjs', import.meta.url);

function finished(worker: Worker, count: number): { jobs: Job[]; failures: { job: Job; err: Error }[]; done: Promise<void> } {
  const jobs: Job[] = [];
  const failures: { job: Job; err: Error }[] = [];
  const done = waitFor(() => jobs.length + failures.length >= count, 30_000, `${count} jobs finished`);
  worker.on('completed', (job) => jobs.push(job));
  worker.on('failed', (job, err) => {
    if (job) failures.push({ job, err });
  });
  return { jobs, failures, done };
}

describe.each(['thread', 'process'] as const)('sandbox: %s', (type) => {
  const t = useRedis();

  it('runs CPU-bound work longer than the lease once: the worker renews while the child spins', async () => {
    t.newPrefix();
    const queue = t.queue('spin');
    const job = await queue.add('spin', { ms: 3000 });
    const worker = t.worker('spin', FILE, { sandbox: { type }, leaseMs: 600 });
    const seen = finished(worker, 1);
    await new Promise((resolve) => worker.once('active', resolve));
    // a second worker would take the job if its lease (600 ms) ran out while it spins
    const stolen: string[] = [];
    const other = t.worker('spin', async (j) => void stolen.push(j.id), { leaseMs: 600, blockMs: 100 });
    await seen.done;
    expect(stolen).toEqual([]);
    const stored = await queue.getJob(job.id);
    expect(await stored!.getState()).toBe('completed');
    expect(stored!.deliveries).toBe(1);
    expect(stored!.stalls).toBe(0);
    const result = stored!.returnvalue as { pid: number; threadId: number };
    if (type === 'process') expect(result.pid).not.toBe(process.pid);
    else expect(result.threadId).toBeGreaterThan(0);
    await other.close();
  });

  it('progress, logs and a longer lease from inside the child reach Redis', async () => {
    t.newPrefix();
    const queue = t.queue('calls');
    const job = await queue.add('calls', { n: 1 });
    const worker = t.worker('calls', FILE, { sandbox: { type } });
    const seen = finished(worker, 1);
    await seen.done;
    expect(seen.jobs[0]!.returnvalue).toEqual({ lines: 1, progress: 50, data: { n: 1 }, deliveries: 1 });
    const stored = await queue.getJob(job.id);
    expect(stored!.progress).toBe(50);
    expect(await stored!.getLogs()).toEqual(['hello from the sandbox']);
  });

  it('a timeout aborts the child’s signal; a child that ignores it is stopped and replaced', async () => {
    t.newPrefix();
    const queue = t.queue('abort');
    await queue.add('wait-abort', null, { timeout: 300 });
    await queue.add('ignore-abort', null, { timeout: 300 });
    const worker = t.worker('abort', FILE, { sandbox: { type, size: 1, killAfterMs: 300 }, concurrency: 1, allowErrors: true });
    const seen = finished(worker, 3);
    await waitFor(() => seen.failures.length === 2, 20_000, 'both attempts failed');
    for (const f of seen.failures) expect(`${f.job.name}: ${f.err.message}`).toMatch(/timed out after 300 ms/);
    await queue.add('echo', { after: 'kill' }); // runs in a new child
    await seen.done;
    expect(seen.jobs[0]!.returnvalue).toMatchObject({ echo: { after: 'kill' } });
  });

  it('a child that exits, throws outside its promise or runs out of memory fails the attempt; the next job runs', async () => {
    t.newPrefix();
    const queue = t.queue('crash');
    await queue.add('exit', null);
    await queue.add('throw-later', null);
    await queue.add('oom', null);
    const worker = t.worker('crash', FILE, { sandbox: { type, size: 1, maxMemoryMb: 48 }, concurrency: 1, allowErrors: true });
    const seen = finished(worker, 4);
    await waitFor(() => seen.failures.length === 3, 60_000, 'three attempts failed');
    const reasons = Object.fromEntries(seen.failures.map((f) => [f.job.name, f.err]));
    for (const err of Object.values(reasons)) expect(err).toBeInstanceOf(SandboxError);
    expect(reasons.exit!.message).toMatch(/exited with code 3/);
    expect(reasons['throw-later']!.message).toMatch(type === 'thread' ? /crashed: boom, later/ : /exited with code 1/);
    expect(reasons.oom!.message).toMatch(/ran out of memory/);
    await queue.add('echo', { still: 'working' });
    await seen.done;
    expect(seen.jobs[0]!.returnvalue).toMatchObject({ echo: { still: 'working' } });
    expect(worker.state).toBe('running');
  });

  it('errors thrown in the child keep their meaning: UnrecoverableError fails for good, others are retried', async () => {
    t.newPrefix();
    const queue = t.queue('errors');
    const bad = await queue.add('unrecoverable', null, { attempts: 3 });
    const flaky = await queue.add('fail', { why: 'test' }, { attempts: 2 });
    const worker = t.worker('errors', FILE, { sandbox: { type } });
    const seen = finished(worker, 3);
    await seen.done;
    const stored = await queue.getJob(bad.id);
    expect(await stored!.getState()).toBe('failed');
    expect(stored!.attemptsMade).toBe(1);
    expect(stored!.failedReason).toBe('bad input, do not retry');
    const retried = await queue.getJob(flaky.id);
    expect(retried!.attemptsMade).toBe(2);
    expect(retried!.failedReason).toBe('failed on purpose: test');
    expect(retried!.stacktrace.join('\n')).toMatch(/processor\.mjs/);
  });

  it('close() stops the children', async () => {
    t.newPrefix();
    const queue = t.queue('close');
    await queue.add('echo', null);
    const worker = t.worker('close', FILE, { sandbox: { type } });
    const seen = finished(worker, 1);
    await seen.done;
    const { pid, threadId } = seen.jobs[0]!.returnvalue as { pid: number; threadId: number };
    await worker.close();
    if (type === 'process') await waitFor(() => !alive(pid), 5000, 'the child process ended');
    else expect(threadId).toBeGreaterThan(0);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sandbox options', () => {
  const t = useRedis();
  it('refuses a missing file, sandbox options without a file, and wrong values', () => {
    expect(() => t.worker('x', './no/such/file.js', {})).toThrow(InvalidOptionError);
    expect(() => t.worker('x', async () => 1, { sandbox: { type: 'thread' } })).toThrow(/needs a processor file/);
    expect(() => t.worker('x', FILE, { sandbox: { type: 'fork' as 'thread' } })).toThrow(/'thread' or 'process'/);
    expect(() => t.worker('x', FILE, { sandbox: { size: 0 } })).toThrow(/sandbox.size/);
    expect(() => t.worker('x', FILE, { sandbox: { nope: 1 } as object })).toThrow(/unknown sandbox option/);
  });
});
