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
import { afterAll, describe, expect, it } from 'vitest';
import { Queue, ReplicationTimeoutError } from '../../src/index.js';
import { startRedis, type TestRedis } from '../../src/testing/redis-server.js';
import { type FreezableProxy, startProxy } from '../helpers/proxy.js';
import { uniquePrefix } from '../helpers/redis.js';
import { ask, askText, until } from '../helpers/servers.js';
import { quietLogger } from '../helpers/setup.js';

/** Clients the server on `port` holds blocked (a WAIT waiting for replicas). */
async function blockedClients(port: number): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec((await askText(port, 'INFO', 'clients')) ?? '')?.[1] ?? 0);
}

describe('durability: the WAIT confirms the write it follows', () => {
  const servers: TestRedis[] = [];
  const proxies: FreezableProxy[] = [];
  afterAll(async () => {
    for (const p of proxies) await p.close();
    for (const s of servers) await s.stop();
  });

  /**
   * A private redis-server (never REDIS_URL's), a replica of `of` (a port) when given; resolves
   * once its replication link is up. A full sync starts at once (Redis waits 5 s by default).
   */
  async function server(of?: number): Promise<TestRedis> {
    const replicaOf = of === undefined ? [] : ['--replicaof', '127.0.0.1', String(of)];
    const s = await startRedis({ url: null, args: ['--repl-diskless-sync-delay', '0', ...replicaOf] });
    servers.push(s);
    if (of !== undefined) {
      await until(`the replica on ${s.port} to be in sync`, 15_000, async () =>
        /master_link_status:up/.test((await askText(s.port, 'INFO', 'replication')) ?? ''),
      );
    }
    return s;
  }

  /** A master A and a replica B of it through a freezable link. */
  async function masterAndReplica(): Promise<{ a: TestRedis; link: FreezableProxy; b: number }> {
    const a = await server();
    const link = await startProxy(a.port);
    proxies.push(link);
    const b = await server(Number(new URL(link.url).port));
    return { a, link, b: b.port };
  }

  it('a WAIT answered after a failover, on the promoted replica, is not taken for the write: ReplicationTimeoutError', async () => {
    const { a, link, b } = await masterAndReplica();
    await server(b); // C, B's own replica
    const endpoint = await startProxy(a.port);
    proxies.push(endpoint);
    const queue = new Queue<number>('failover', {
      connection: endpoint.url,
      prefix: uniquePrefix(),
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
    }
  });

  it('a write resent as EVAL after NOSCRIPT is the one its WAIT confirms', async () => {
    const { a, link } = await masterAndReplica();
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
