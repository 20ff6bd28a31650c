// Connections: a URL, ioredis options or an ioredis client; producers fail fast while Redis
// is down, workers keep retrying and carry on when it is back.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Queue, Worker } from '../src/index.js';
import { quietLogger, useRedis } from './helpers/setup.js';
import { waitForEvent } from './helpers/wait.js';

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

  it('a producer fails fast while Redis is down; a worker waits and carries on when it is back', async () => {
    t.newPrefix();
    const worker = t.worker('down', async (job) => job.data, { blockMs: 300, watchdogGraceMs: 300, allowErrors: true });
    const queue = t.queue('down');
    await queue.add('before', 1);
    await waitForEvent(worker, 'completed');
    await t.redis.stop('SIGKILL');
    const failure = await queue.add('during', 2).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure).toBeInstanceOf(Error);
    await t.redis.start();
    const next = waitForEvent(worker, 'completed', 20_000);
    await queue.add('after', 3);
    const [job] = await next;
    expect((job as { data: number }).data).toBe(3);
  });
});
