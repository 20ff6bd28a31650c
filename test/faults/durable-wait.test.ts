// The durable mode's WAIT must confirm the write it follows, on the connection that made it.
// Found by the chaos scenario sentinel-failover (full mode): adds acknowledged just before a
// master was killed were lost although both replicas were waited for. Their write was answered,
// the master died before the WAIT behind it was, and ioredis sent the WAIT again on its next
// connection, to the promoted replica, whose own replicas confirmed its own writes at once.
//
// Here the failover happens behind one address, as a managed Redis's endpoint moves: the queue
// talks to master A through a proxy; A's replica B replicates through a freezable link, and B
// has a replica C of its own. The link freezes, an add is written on A (B never gets it), B is
// promoted and the proxy sends new connections to B, where C confirms the resent WAIT.
// And a write ioredis sends again as EVAL after NOSCRIPT (a SCRIPT FLUSH on the connection) ran
// behind a WAIT pipelined after it, which confirmed an older offset: the WAIT now waits for the
// write's reply.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Queue, ReplicationTimeoutError } from '../../src/index.js';
import { type FreezableProxy, startProxy } from '../helpers/proxy.js';
import { freePort, startRedis, type TestRedis, uniquePrefix } from '../helpers/redis.js';
import { ask, until } from '../helpers/servers.js';
import { quietLogger } from '../helpers/setup.js';

/** Where the replicas keep the RDB a full sync writes (not the working directory). */
const dir = mkdtempSync(join(tmpdir(), 'sluice-durable-wait-'));

/** A redis-server without persistence replicating `of` (a port); resolves once its link is up. */
async function startReplica(of: number): Promise<{ port: number; proc: ChildProcess }> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  args.push('--dir', dir, '--dbfilename', `replica-${port}.rdb`);
  const proc = spawn('redis-server', [...args, '--repl-diskless-sync-delay', '0', '--replicaof', '127.0.0.1', String(of)], {
    stdio: 'ignore',
  });
  await until(`the replica on ${port} to be in sync`, 15_000, async () =>
    /master_link_status:up/.test(String(await ask(port, 'INFO', 'replication'))),
  );
  return { port, proc };
}

/** Clients the server on `port` holds blocked (a WAIT waiting for replicas). */
async function blockedClients(port: number): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(String(await ask(port, 'INFO', 'clients')))?.[1] ?? 0);
}

describe('durability: the WAIT confirms the write it follows', () => {
  const masters: TestRedis[] = [];
  const proxies: FreezableProxy[] = [];
  const replicas: ChildProcess[] = [];
  afterAll(async () => {
    for (const r of replicas) r.kill('SIGKILL');
    for (const p of proxies) await p.close();
    for (const m of masters) await m.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A private master and a replica B of it through a freezable link; undefined on a Redis given by REDIS_URL. */
  async function masterAndReplica(): Promise<{ a: TestRedis; link: FreezableProxy; b: number } | undefined> {
    const a = await startRedis();
    masters.push(a);
    if (!a.owned) return undefined; // a Redis given by REDIS_URL gets no replicas of ours
    await ask(a.port, 'CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
    const link = await startProxy(a.port);
    proxies.push(link);
    const b = await startReplica(Number(new URL(link.url).port));
    replicas.push(b.proc);
    return { a, link, b: b.port };
  }

  it('a WAIT answered after a failover, on the promoted replica, is not taken for the write: ReplicationTimeoutError', async (ctx) => {
    const servers = await masterAndReplica();
    if (!servers) return ctx.skip();
    const { a, link, b } = servers;
    replicas.push((await startReplica(b)).proc);
    const endpoint = await startProxy(a.port);
    const prefix = uniquePrefix();
    const queue = new Queue<number>('failover', {
      connection: endpoint.url,
      prefix,
      logger: quietLogger,
      durability: { replicas: 1, timeoutMs: 3000 },
    });
    try {
      await queue.add('confirmed', 1); // B confirms it
      link.freeze(); // from now on B gets nothing from A
      const adding = queue.add('unconfirmed', 2, { jobId: 'u' }).catch((err: unknown) => err);
      // the write is answered by A; the WAIT behind it waits for B...
      await until('the WAIT to block on A', 5000, async () => (await blockedClients(a.port)) > 0);
      // ...and A is gone: B is promoted, the endpoint moves to it, the connection drops
      await ask(b, 'REPLICAOF', 'NO', 'ONE');
      endpoint.retarget(b);
      endpoint.cut();
      const err = await adding;
      expect(err).toBeInstanceOf(ReplicationTimeoutError);
      expect(err).toMatchObject({ replicas: 1, acknowledged: 0 });
      expect((err as Error).message).toMatch(/dropped between the write and the WAIT/);
      // what an acknowledgement would have hidden: the new master does not have the job
      expect(await ask(b, 'EXISTS', queue.keys.job('u'))).toBe(0);
      expect(await queue.getJob('u')).toBeUndefined();
      // a retry with its jobId adds it on the new master, confirmed by C
      expect((await queue.add('unconfirmed', 2, { jobId: 'u' })).id).toBe('u');
    } finally {
      await queue.close();
      await endpoint.close();
    }
  });
  it('a write resent as EVAL after NOSCRIPT is the one its WAIT confirms', async (ctx) => {
    const servers = await masterAndReplica();
    if (!servers) return ctx.skip();
    const { a, link } = servers;
    const endpoint = await startProxy(a.port);
    proxies.push(endpoint);
    const queue = new Queue<number>('noscript', {
      connection: endpoint.url,
      prefix: uniquePrefix(),
      logger: quietLogger,
      durability: { replicas: 1, timeoutMs: 300 },
    });
    try {
      await queue.add('confirmed', 1); // B has it and acknowledged it
      // the next script call gets NOSCRIPT (ioredis then sends the script again, as EVAL)
      await ask(a.port, 'SCRIPT', 'FLUSH');
      // B gets everything up to the EVAL, so that the WAIT behind the failed EVALSHA is
      // confirmed; the write the EVAL makes never reaches it
      endpoint.beforeCommand('#!lua', () => link.freeze());
      const err = await queue.add('unconfirmed', 2, { jobId: 'n' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplicationTimeoutError);
      expect(err).toMatchObject({ replicas: 1, acknowledged: 0 });
      expect(await queue.getJob('n')).toBeDefined();
    } finally {
      await queue.close();
    }
  });
});
