// sluice on a real 3-master Redis Cluster (test/helpers/cluster.ts): connecting with seeds, a
// Cluster client or cluster options; the role settings of the duplicates; adding, processing,
// retries and dead letters on queues whose slots are served by different masters; delayed jobs on
// time (CLIENT UNBLOCK reaches the node that serves the queue's slot); an idle worker woken by
// an add; close() exiting promptly.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type Job, Queue } from '../../src/index.js';
import { keySlot } from '../../src/redis/cluster.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { useCluster } from '../helpers/use-cluster.js';
import { quietLogger } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `q${i}`);

describe('Redis Cluster: core', () => {
  const t = useCluster();

  it('the hash slot sluice computes is the one Redis computes', async () => {
    for (const key of ['P:{orders}:wake:default', 'plain', '{}x', 'a{b}c', 'ümlaut{ü}']) {
      expect(keySlot(key)).toBe(Number(await t.admin.cluster('KEYSLOT', key)));
    }
  });

  it('adds and processes jobs on queues served by three different masters', async () => {
    t.newPrefix();
    const names = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 3);
    for (const name of names) {
      const queue = t.queue<{ n: number }, number>(name);
      const worker = t.worker<{ n: number }, number>(name, async (job) => job.data.n * 2);
      const jobs = await queue.addBulk([1, 2, 3].map((n) => ({ name: 'double', data: { n } })));
      await waitFor(async () => (await queue.getJobCounts()).completed === 3, 10_000, `3 jobs completed on ${name}`);
      const values = await Promise.all(jobs.map(async (j) => (await queue.getJob(j.id))?.returnvalue));
      expect(values).toEqual([2, 4, 6]);
      expect(worker.isRunning()).toBe(true);
    }
  });

  it('retries with backoff, then dead-letters', async () => {
    t.newPrefix();
    const queue = t.queue('retry');
    const job = await queue.add('flaky', null, { attempts: 3, backoff: { type: 'fixed', delay: 100 } });
    const starts: number[] = [];
    t.worker('retry', async () => {
      starts.push(Date.now());
      throw new Error(`boom ${starts.length}`);
    });
    await waitFor(async () => (await (await queue.getJob(job.id))?.getState()) === 'failed', 10_000, 'the job dead-lettered');
    expect(starts).toHaveLength(3);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(95);
    const failed = await queue.getJobs('failed');
    expect(failed.map((j) => j.id)).toEqual([job.id]);
    expect(failed[0]?.failedReason).toBe('boom 3');
  });

  it('runs a delayed job on time: CLIENT UNBLOCK reaches the node that serves the slot', async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const queue = t.queue(name!);
    let ranAt = 0;
    const worker = t.worker(name!, async () => {
      ranAt = Date.now();
    });
    await worker.waitUntilReady();
    await queue.add('warm-up', null, { delay: 50 });
    await waitFor(() => ranAt > 0, 5000, 'the warm-up job');
    const lateness: number[] = [];
    for (let i = 0; i < 5; i++) {
      ranAt = 0;
      const added = Date.now();
      await queue.add('due', i, { delay: 500 });
      await waitFor(() => ranAt > 0, 5000, 'the delayed job');
      lateness.push(ranAt - added - 500);
    }
    if (process.env.SLUICE_REPORT) console.log('cluster: delayed-job lateness (ms)', lateness);
    // Redis's own timeout would end the wait at the next hz tick after block + 200 ms
    expect(Math.max(...lateness)).toBeLessThan(150);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(-5);
  });

  it('an idle worker blocks in Redis and is woken by an add', async () => {
    t.newPrefix();
    const queue = t.queue('idle');
    const worker = t.worker('idle', async () => 'ok', { blockMs: 5000 });
    await worker.waitUntilReady();
    await queue.add('warm-up', null);
    await waitForEvent(worker, 'completed');
    // the worker is blocked (BZPOPMIN) on the node that serves the queue's slot
    const slot = keySlot(`${t.prefix}:{idle}:x`);
    const slots = (await t.admin.cluster('SLOTS')) as [number, number, [string, number]][];
    const owner = slots.find(([from, to]) => slot >= from && slot <= to)![2];
    const node = t.admin.nodes('master').find((n) => n.options.port === owner[1])!;
    await waitFor(async () => String(await node.client('LIST')).includes('cmd=bzpopmin'), 5000, 'a blocked BZPOPMIN');
    const started = Date.now();
    const done = waitForEvent(worker, 'completed');
    await queue.add('wake', null);
    await done;
    // far below blockMs: woken, not polled
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the role duplicates keep their settings on every node connection', async () => {
    t.newPrefix();
    // connectTimeout stands for the user's node settings (password, TLS): ioredis 5's duplicate() dropped them
    const user = new Cluster(t.urls, {
      redisOptions: { connectionName: 'user', connectTimeout: 4321 },
      clusterNodeRetryStrategy: () => 100,
    });
    t.track({ close: async () => user.disconnect() });
    const queue = t.track(new Queue('roles', { connection: user, prefix: t.prefix, logger: quietLogger }));
    await queue.add('j', null);
    const worker = t.worker('roles', async () => null, { connection: user });
    await waitForEvent(worker, 'completed');
    const internal = worker as unknown as { client: Cluster; blocking: Cluster };
    for (const client of [internal.client, internal.blocking]) {
      expect(client.isCluster).toBe(true);
      expect(client.options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, autoResendUnfulfilledCommands: false });
      // nor does the cluster resend a call whose node connection closed
      expect(client.options.retryDelayOnFailover).toBe(0);
      expect(client.options.clusterNodeRetryStrategy ?? null).toBeNull(); // the user's () => 100 is not kept
      for (const node of client.nodes('all')) {
        expect(node.options.maxRetriesPerRequest).toBeNull();
        expect(node.options.autoResendUnfulfilledCommands).toBe(false);
        expect(node.options.retryStrategy ?? null).toBeNull();
        expect(node.options.connectionName).toMatch(/^sluice:(worker|blocking):/);
        expect(node.options.connectTimeout).toBe(4321);
      }
    }
    // the Queue uses the user's client as it is, and leaves it open
    await queue.close();
    expect(user.status).toBe('ready');
  });

  it('accepts cluster options with the seeds under `cluster`', async () => {
    t.newPrefix();
    const connection = { cluster: t.urls, redisOptions: { connectTimeout: 5000 } };
    const queue = t.queue('opts', { connection });
    const worker = t.worker('opts', async (job: Job) => job.name, { connection });
    await queue.add('hello', null);
    const [job] = await waitForEvent<[Job]>(worker, 'completed');
    expect(job.returnvalue).toBe('hello');
  });

  it('close() resolves promptly while the worker is blocked', async () => {
    t.newPrefix();
    const queue = t.queue('close');
    const worker = t.worker('close', async () => null, { blockMs: 10_000 });
    await queue.add('j', null);
    await waitForEvent(worker, 'completed');
    const started = Date.now();
    await worker.close();
    await queue.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('the process exits promptly after close(), with a worker blocked idle on a cluster node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-exit-'));
    const exitFile = join(dir, 'exit.json');
    const fixture = fileURLToPath(new URL('../fixtures/exit-process.mjs', import.meta.url));
    const env = { ...process.env, MODE: 'close', REDIS_CLUSTER: t.urls.join(','), PREFIX: t.newPrefix(), EXIT_FILE: exitFile };
    const child = fork(fixture, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before it was idle`)));
      });
      child.send('close');
      expect(await exited).toBe(0);
      const { livedMs, closeMs } = JSON.parse(readFileSync(exitFile, 'utf8')) as { livedMs: number; closeMs: number };
      if (process.env.SLUICE_REPORT) console.log('cluster: close() took', closeMs, 'ms; the process lived', livedMs, 'ms after it');
      expect(livedMs).toBeLessThan(100);
      expect(closeMs).toBeLessThan(2000);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('follows the queue slot to another master: delayed jobs stay on time after the move', async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const queue = t.queue(name!);
    let ranAt = 0;
    // the move itself may fail a call or two (TRYAGAIN while the keys migrate): reported, survived
    const worker = t.worker(
      name!,
      async () => {
        ranAt = Date.now();
      },
      { allowErrors: true },
    );
    await worker.waitUntilReady();
    await queue.add('before', null);
    await waitFor(() => ranAt > 0, 5000, 'the job before the move');
    // move the slot with its keys, the way redis-cli --cluster reshard does
    const slot = keySlot(`${t.prefix}:{${name}}:x`);
    const nodes = t.cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1' }));
    try {
      const ids = await Promise.all(nodes.map(async (n) => String(await n.cluster('MYID'))));
      const slots = (await t.admin.cluster('SLOTS')) as [number, number, [string, number, string]][];
      const ownerId = slots.find(([from, to]) => slot >= from && slot <= to)![2][2];
      const from = ids.indexOf(ownerId);
      const to = (from + 1) % nodes.length;
      await nodes[to]!.cluster('SETSLOT', slot, 'IMPORTING', ids[from]!);
      await nodes[from]!.cluster('SETSLOT', slot, 'MIGRATING', ids[to]!);
      for (;;) {
        const keys = (await nodes[from]!.cluster('GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await nodes[from]!.call('MIGRATE', '127.0.0.1', String(t.cluster.ports[to]), '', '0', '5000', 'KEYS', ...keys);
      }
      for (const n of nodes) await n.cluster('SETSLOT', slot, 'NODE', ids[to]!);
      expect(await nodes[from]!.cluster('COUNTKEYSINSLOT', slot)).toBe(0);
      expect(await nodes[to]!.cluster('COUNTKEYSINSLOT', slot)).toBeGreaterThan(0);
    } finally {
      for (const n of nodes) n.disconnect();
    }
    const lateness: number[] = [];
    for (let i = 0; i < 3; i++) {
      ranAt = 0;
      const added = Date.now();
      await queue.add('due', i, { delay: 400 });
      await waitFor(() => ranAt > 0, 5000, 'the delayed job after the move');
      lateness.push(ranAt - added - 400);
    }
    if (process.env.SLUICE_REPORT) console.log('cluster: delayed-job lateness after a slot move (ms)', lateness);
    // the worker's blocked read was redirected (MOVED) and the slot map with it: CLIENT UNBLOCK
    // reaches the new owner, so the jobs are on time (Redis's own timeout would be 200+ ms late)
    expect(Math.max(...lateness)).toBeLessThan(150);
  });

  it('the worker connection to the queue master killed mid-stream: every job runs once and completes', async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const queue = t.queue<number>(name!);
    const runs = new Map<string, number>();
    const worker = t.worker<number>(
      name!,
      async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 1)); // the job's work
      },
      { concurrency: 4, allowErrors: true },
    );
    const errors: Error[] = [];
    worker.on('error', (err) => errors.push(err));
    const total = 300;
    const slot = keySlot(`${t.prefix}:{${name}}:x`);
    const slots = (await t.admin.cluster('SLOTS')) as [number, number, [string, number]][];
    const port = slots.find(([from, to]) => slot >= from && slot <= to)![2][1];
    const node = new Redis({ port, host: '127.0.0.1' });
    try {
      for (let round = 0; round < 3; round++) {
        await queue.addBulk(Array.from({ length: total / 3 }, (_, i) => ({ name: 'n', data: round * 100 + i })));
        await waitFor(() => runs.size > round * 100 + 20, 10_000, 'the worker under way');
        // the worker's command connection to the node that serves the queue, cut mid-stream
        await node.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      }
      await waitFor(async () => (await queue.getJobCounts()).completed === total, 20_000, 'every job completed');
    } finally {
      node.disconnect();
    }
    if (process.env.SLUICE_REPORT)
      console.log(
        'cluster: errors reported during the kills',
        errors.length,
        errors.slice(0, 2).map((e) => e.message),
      );
    expect(runs.size).toBe(total);
    expect([...runs.values()].filter((n) => n > 1)).toEqual([]);
    expect(worker.isRunning()).toBe(true);
  });
});
