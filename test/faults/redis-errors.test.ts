// A worker never dies of a Redis error, a full Redis drains, and a reply lost or late after
// Redis applied a call changes nothing (invariant 12, docs/invariants.md, and docs/redis.md,
// "What sluice needs from Redis, and what it promises when Redis fails").
import { createHash } from 'node:crypto';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { luaScripts } from '../../src/generated/lua.js';
import { CallInterruptedError, ConnectionConfigError, InvalidOptionError, Worker } from '../../src/index.js';
import { freePort } from '../helpers/redis.js';
import { startWorkerProcess } from '../helpers/processes.js';
import { startProxy } from '../helpers/proxy.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { gate } from '../helpers/tools.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('Redis errors and lost replies', () => {
  const t = useRedis();

  it('error replies to pipelined fetches (a read-only replica) are reported, and the worker process lives on', async () => {
    const queue = t.queue('readonly');
    const total = 3000;
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'job', data: { i } })));
    const w = startWorkerProcess({ REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'readonly', CONCURRENCY: 20, JOB_MS: 1, LEASE_MS: 5000 });
    await w.until('done', 200);
    // every write is refused with READONLY while the server follows a master that does not exist
    const nowhere = await freePort();
    await t.admin.call('REPLICAOF', '127.0.0.1', String(nowhere));
    try {
      await w.until('error', 3, 10_000);
      expect(w.proc.exitCode).toBeNull();
      expect(w.messages.find((m) => m.t === 'error')!.message).toMatch(/READONLY|read-only/);
    } finally {
      await t.admin.call('REPLICAOF', 'NO', 'ONE');
    }
    await w.until('done', total, 30_000);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, active: 0, failed: 0 });
    expect(w.proc.exitCode).toBeNull();
  });

  it('a Redis over maxmemory drains: acks and leases run, adds are refused whole', async () => {
    t.newPrefix();
    const queue = t.queue('full');
    const total = 150;
    const payload = 'x'.repeat(20_000);
    await queue.addBulk(Array.from({ length: total }, (_, i) => ({ name: 'job', data: { i, payload } })));
    const info = String(await t.admin.info('memory'));
    const used = Number(/used_memory:(\d+)/.exec(info)![1]);
    // well over the limit from the start (whatever Redis frees meanwhile): Redis is full
    await t.admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    try {
      await expect(queue.add('more', { payload })).rejects.toThrow(/OOM|memory/i);
      const a = startWorkerProcess({ REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'full', CONCURRENCY: 10, JOB_MS: 2, LEASE_MS: 3000 });
      const b = startWorkerProcess({ REDIS_URL: t.url, PREFIX: t.prefix, QUEUE: 'full', CONCURRENCY: 10, JOB_MS: 2, LEASE_MS: 3000 });
      await waitFor(async () => (await queue.getJobCounts()).completed === total, 20_000, 'every job completed while Redis is full');
      expect(a.proc.exitCode).toBeNull();
      expect(b.proc.exitCode).toBeNull();
      // each job ran once: no ack was refused, so no lease lapsed on a healthy worker (the
      // workers' reports travel over IPC and may trail Redis by a moment)
      await waitFor(() => a.count('start') + b.count('start') >= total, 5000, 'every start reported');
      expect(a.count('start') + b.count('start')).toBe(total);
      expect(a.count('lost') + b.count('lost')).toBe(0);
    } finally {
      await t.admin.config('SET', 'maxmemory', '0');
    }
  });

  it('a call whose reply is lost after Redis applied it: its acks count as completed, its leases go back unpenalised', async () => {
    t.newPrefix();
    const proxy = await startProxy(t.redis.port);
    try {
      const queue = t.queue('lostreply');
      await queue.addBulk(Array.from({ length: 10 }, (_, i) => ({ name: 'job', data: i })));
      const open = gate();
      const worker = new Worker(
        'lostreply',
        async (job) => {
          if ((job.data as number) < 5) await open.promise;
          return job.data;
        },
        { connection: proxy.url, prefix: t.prefix, logger: quietLogger, concurrency: 5, leaseMs: 20_000, blockMs: 500, prefetch: 0 },
      );
      const lost: string[] = [];
      const stalled: string[] = [];
      const completed: string[] = [];
      worker.on('lost', (id) => lost.push(id));
      worker.on('stalled', (id) => stalled.push(id));
      worker.on('completed', (job) => completed.push(job.id));
      const errors: Error[] = [];
      worker.on('error', (e) => errors.push(e)); // the cut connection is reported
      try {
        await waitFor(async () => (await queue.getJobCounts()).active === 5, 10_000, 'five jobs running');
        proxy.dropReplies();
        open.open();
        // Redis applies the acks (and leases the other five), but the worker hears nothing
        await waitFor(async () => (await queue.getJobCounts()).completed === 5, 10_000, 'the acks applied in Redis');
        proxy.cut();
        await waitFor(() => completed.length === 10, 15_000, 'every job reported completed');
        expect(lost).toEqual([]);
        expect(stalled).toEqual([]);
        expect(errors.every((e) => e instanceof CallInterruptedError)).toBe(true);
        for (const job of await queue.getJobs('completed', 0, 20)) {
          expect(job.stalls).toBe(0);
          expect(job.deliveries).toBe(1);
        }
      } finally {
        await worker.close({ timeoutMs: 1000 });
      }
    } finally {
      await proxy.close();
    }
  });

  it('a lease reply that arrives after the lease ran out does not start the job', async () => {
    t.newPrefix();
    const proxy = await startProxy(t.redis.port);
    try {
      const queue = t.queue('late');
      const ranByA: string[] = [];
      const a = new Worker(
        'late',
        async (job) => {
          ranByA.push(job.id);
          return 'A';
        },
        { connection: proxy.url, prefix: t.prefix, logger: quietLogger, leaseMs: 300, blockMs: 5000 },
      );
      a.on('error', () => undefined);
      const lostByA = waitForEvent<[string]>(a, 'lost', 20_000);
      await a.waitUntilReady();
      const leaseSha = createHash('sha1').update(luaScripts.lease.lua).digest('hex');
      proxy.holdAfter(leaseSha);
      const job = await queue.add('j', null);
      // Redis leased it to A, whose reply is held; the lease runs out and B takes the job over
      await waitFor(async () => (await queue.getJobCounts()).active === 1, 10_000, 'the job leased to A');
      const b = t.worker('late', async () => 'B', { leaseMs: 300, blockMs: 200 });
      await waitForEvent(b, 'completed', 10_000);
      proxy.release();
      const [lostId] = await lostByA;
      expect(lostId).toBe(job.id);
      expect(ranByA).toEqual([]);
      expect((await queue.getJob(job.id))!.returnvalue).toBe('B');
      await a.close({ timeoutMs: 1000 });
    } finally {
      await proxy.close();
    }
  });

  it('M6: workers read under one consumer name: restarts leave no consumers behind', async () => {
    t.newPrefix();
    const queue = t.queue('consumers');
    for (let i = 0; i < 4; i++) {
      const w = t.worker('consumers', async () => 'ok');
      await queue.add('j', i);
      await waitForEvent(w, 'completed');
      await w.close();
    }
    const consumers = (await t.admin.call('XINFO', 'CONSUMERS', queue.keys.stream, 'default')) as unknown[];
    expect(consumers.length).toBe(1);
  });

  // Cluster clients are accepted (test/cluster/); what sluice cannot work with is refused up front
  it('M4: a Cluster with an ioredis keyPrefix, or cluster options without seeds, is refused', () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, keyPrefix: 'x:' });
    try {
      expect(() => new Worker('c', async () => null, { connection: cluster, logger: quietLogger })).toThrow(ConnectionConfigError);
      expect(() => t.queue('c', { connection: cluster })).toThrow(/keyPrefix/);
      expect(() => t.queue('c', { connection: { cluster: ['redis://127.0.0.1:1'], redisOptions: { keyPrefix: 'y:' } } })).toThrow(
        ConnectionConfigError,
      );
      expect(() => t.queue('c', { connection: [] })).toThrow(InvalidOptionError);
    } finally {
      cluster.disconnect();
    }
  });
});
