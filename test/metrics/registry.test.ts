// The live worker registry (Queue.getWorkers) with workers in their own processes: listed with
// their fields while they beat, gone a few missed heartbeats after a SIGKILL (and reaped from
// Redis by a live worker's flush); the jobs the killed worker held stall, and the worker that
// reclaims them counts the stalls.
import { fork, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readTotals } from '../../src/metrics/metrics-store.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const fixture = fileURLToPath(new URL('./fixtures/metrics-worker.mjs', import.meta.url));
const t = useRedis();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

interface Message {
  t: string;
  id: string;
  message?: string;
}

function startWorker(env: Record<string, string | number>) {
  const proc = fork(fixture, [], {
    env: { ...process.env, REDIS_URL: t.url, PREFIX: t.prefix, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(proc);
  const messages: Message[] = [];
  proc.on('message', (m) => messages.push(m as Message));
  const count = (type: string) => messages.filter((m) => m.t === type).length;
  return {
    proc,
    messages,
    count,
    until: (type: string, n: number) => waitFor(() => count(type) >= n, 20_000, `${n} "${type}" from worker ${String(env.NAME)}`),
  };
}

describe('worker registry', () => {
  it('lists live workers with their fields; a SIGKILLed one disappears, its jobs stall and are counted', async () => {
    t.newPrefix();
    const queue = t.queue('reg');
    // alpha takes both jobs and runs them for long; beta comes later and reclaims them
    const alpha = startWorker({ QUEUE: 'reg', NAME: 'alpha', CONCURRENCY: 2, JOB_MS: 60_000, LEASE_MS: 500, FLUSH_MS: 200 });
    await alpha.until('ready', 1);
    await queue.addBulk([
      { name: 'n', data: 1 },
      { name: 'n', data: 2 },
    ]);
    await alpha.until('start', 2);
    const beta = startWorker({ QUEUE: 'reg', NAME: 'beta', CONCURRENCY: 3, JOB_MS: 10, LEASE_MS: 500, FLUSH_MS: 200 });
    await beta.until('ready', 1);
    await waitFor(async () => (await queue.getWorkers()).length === 2, 10_000, 'both workers listed');
    const listed = await queue.getWorkers({ group: 'default' });
    const a = listed.find((w) => w.name === 'alpha')!;
    const b = listed.find((w) => w.name === 'beta')!;
    expect(a).toMatchObject({ host: hostname(), pid: alpha.proc.pid, group: 'default', concurrency: 2 });
    expect(b).toMatchObject({ host: hostname(), pid: beta.proc.pid, group: 'default', concurrency: 3, running: 0 });
    expect(a.id).toBe(alpha.messages.find((m) => m.t === 'ready')!.id);
    await waitFor(async () => (await queue.getWorkers()).find((w) => w.name === 'alpha')?.running === 2, 5000, 'alpha running 2');
    const [s, us] = await t.admin.time();
    const now = Number(s) * 1000 + Math.floor(Number(us) / 1000);
    for (const w of [a, b]) {
      expect(w.started).toBeLessThanOrEqual(w.lastHeartbeat);
      expect(now - w.lastHeartbeat).toBeLessThan(5000);
    }
    expect(await queue.getWorkers({ group: 'other' })).toEqual([]);

    alpha.proc.kill('SIGKILL');
    // gone from the listing a few missed heartbeats later (1 s: 3 × 200 ms, at least 1 s)
    await waitFor(async () => (await queue.getWorkers()).map((w) => w.name).join() === 'beta', 10_000, 'alpha gone');
    // and reaped from Redis by beta's next flush (bounded: REAP_MAX entries per flush)
    const g = queue.keys.group('default');
    await waitFor(async () => (await t.admin.zscore(g.workers, a.id)) === null, 5000, 'alpha reaped');
    // its description expired by itself (a TTL of its last heartbeat's)
    await waitFor(async () => (await t.admin.exists(g.worker(a.id))) === 0, 5000, 'alpha description expired');
    // its two jobs stalled: beta reclaimed them, ran them, and counted both stalls
    await beta.until('stalled', 2);
    await beta.until('done', 2);
    await waitFor(async () => (await readTotals(t.admin, queue.keys, 'default')).completed === 2, 5000, 'beta flushed');
    const totals = await readTotals(t.admin, queue.keys, 'default');
    expect(totals.stalled).toBe(beta.count('stalled'));
    expect(totals.stalled).toBe(2);
    expect(beta.messages.filter((m) => m.t === 'error')).toEqual([]);

    // a worker that closes removes its own entry at once
    beta.proc.send('close');
    await new Promise((r) => beta.proc.once('exit', r));
    expect(await queue.getWorkers()).toEqual([]);
    expect(await t.admin.zcard(g.workers)).toBe(0);
  });
});
