// Connections: a URL, ioredis options or an ioredis client; producers keep the user's retry
// settings and by default ride out a short outage, workers keep retrying and carry on when it
// is back; a logger is any pino-style object.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { InvalidOptionError, Queue, RedisUnavailableError, Worker } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { freePort } from '../helpers/redis.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

describe('connections', () => {
  const t = useRedis();

  it('accepts ioredis options and an ioredis client (recognised by shape), and leaves a shared client open', async () => {
    const client = new Redis(t.url);
    try {
      const queue = new Queue('shared', { connection: client, prefix: t.prefix, logger: quietLogger });
      const worker = new Worker('shared', async (job) => job.data, {
        connection: { host: '127.0.0.1', port: t.redis.port },
        prefix: t.prefix,
        logger: quietLogger,
      });
      const done = waitForEvent(worker, 'completed');
      await queue.add('x', 7);
      const [, result] = await done;
      expect(result).toBe(7);
      await worker.close();
      await queue.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it(
    "a producer keeps the user's retry setting: with maxRetriesPerRequest 1 it fails fast while Redis is down; " +
      'a worker (even with a give-up retryStrategy) waits and carries on',
    async () => {
      t.newPrefix();
      // a fail-fast retryStrategy (null: give up) sets the delays of a worker's connections but
      // cannot stop them: the worker must outlive the outage
      const giveUp = () => null;
      const worker = t.worker('down', async (job) => job.data, {
        connection: { url: t.url, retryStrategy: giveUp },
        blockMs: 300,
        watchdogGraceMs: 300,
        allowErrors: true,
      });
      const queue = t.queue('down', { connection: { url: t.url, maxRetriesPerRequest: 1 } });
      await queue.add('before', 1);
      await waitForEvent(worker, 'completed');
      await t.redis.stop('SIGKILL');
      const failure = await queue.add('during', 2).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(failure).toBeInstanceOf(RedisUnavailableError);
      await t.redis.start();
      const next = waitForEvent(worker, 'completed', 20_000);
      await queue.add('after', 3);
      const [job] = await next;
      expect((job as { data: number }).data).toBe(3);
    },
  );

  it(
    'by default a producer rides out a short outage (a failover): ' + 'the add made while Redis is down goes through once it is back',
    async () => {
      t.newPrefix();
      const queue = t.queue('failover');
      const worker = t.worker('failover', async (job) => job.data, { blockMs: 300, watchdogGraceMs: 300, allowErrors: true });
      await queue.add('before', 1);
      await waitForEvent(worker, 'completed');
      await t.redis.stop('SIGKILL');
      let settled: string | undefined;
      const during = queue.add('during', 2).then(
        () => (settled = 'added'),
        (err: Error) => (settled = `rejected: ${err.message}`),
      );
      // the add waits for a connection; Redis comes back after about a second
      await waitFor(() => queue.client.status === 'reconnecting', 5000, 'producer reconnecting');
      expect(settled).toBeUndefined();
      await t.redis.start();
      const completed = waitForEvent(worker, 'completed', 20_000);
      expect(await during).toBe('added');
      const [job] = await completed;
      expect((job as { data: number }).data).toBe(2);
    },
  );

  it('a client the user passes is used as given: its retry settings are not replaced', async () => {
    const client = new Redis(t.url, { maxRetriesPerRequest: 7, lazyConnect: true });
    try {
      const queue = new Queue('given', { connection: client, prefix: t.newPrefix(), logger: quietLogger });
      await queue.add('x', 1);
      expect(queue.client).toBe(client);
      expect(client.options.maxRetriesPerRequest).toBe(7);
      await queue.close();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it("a worker's own connections, duplicated from the user's client, keep its settings (here: database 2)", async () => {
    const client = new Redis(t.url, { db: 2 });
    try {
      const prefix = t.newPrefix();
      const queue = new Queue('db2', { connection: client, prefix, logger: quietLogger });
      const worker = new Worker('db2', async (job) => job.data, { connection: client, prefix, logger: quietLogger });
      const done = waitForEvent(worker, 'completed');
      const job = await queue.add('x', 5);
      await done;
      expect(await (await queue.getJob(job.id))?.getState()).toBe('completed');
      // everything is in database 2, nothing in database 0
      expect((await client.keys(`${prefix}:*`)).length).toBeGreaterThan(0);
      expect(await t.admin.keys(`${prefix}:*`)).toEqual([]);
      const names = String(await client.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((l) => l.includes(`name=sluice:`) && l.includes(worker.id));
      expect(names.length).toBe(2);
      for (const line of names) expect(line).toMatch(/ db=2 /);
      await worker.close();
      await queue.close();
    } finally {
      client.disconnect();
    }
  });

  it('a Cluster whose seeds do not answer: RedisUnavailableError naming the seeds, never their password', async () => {
    const port = await freePort();
    const queue = new Queue('cl', {
      connection: { cluster: [`redis://:s3cret-pw@127.0.0.1:${port}`], clusterRetryStrategy: () => null },
      logger: quietLogger,
    });
    try {
      const err = await queue.add('x', 1).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect(err!.message).toContain(`Cluster(127.0.0.1:${port})`);
      expect(err!.message).not.toContain('s3cret-pw');
      expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain('s3cret-pw');
    } finally {
      await queue.close();
    }
  });

  it('connection options may carry a url (as BullMQ users write them), and a bad one is refused', async () => {
    const queue = t.queue('with-url', { connection: { url: t.url } });
    await queue.add('x', 1);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 1 });
    expect(() => new Queue('bad-url', { connection: { url: 42 } as never, logger: quietLogger })).toThrow(InvalidOptionError);
  });

  it('a logger is any object with pino-style level methods (no child() needed); one without them is refused', async () => {
    const entries: { ctx: Record<string, unknown>; msg?: string }[] = [];
    const plain = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (ctx: object | string, msg?: string) => {
        if (typeof ctx === 'object') entries.push({ ctx: ctx as Record<string, unknown>, msg });
      },
    };
    t.newPrefix();
    const queue = t.queue('logger');
    const worker = t.worker('logger', async () => null, { logger: plain });
    const reported = new Promise<void>((resolve) => {
      worker.on('completed', () => {
        setImmediate(resolve);
        throw new Error('a listener bug');
      });
    });
    await queue.add('x', null);
    await reported;
    expect(entries).toHaveLength(1);
    expect(entries[0]!.msg).toMatch(/listener threw/);
    // the bindings sluice adds through child() when a logger has one
    expect(entries[0]!.ctx).toMatchObject({ queue: 'logger', group: 'default', event: 'completed' });
    expect(() => new Queue('nolog', { connection: t.url, logger: { info: () => undefined } as never })).toThrow(InvalidOptionError);
  });
});
