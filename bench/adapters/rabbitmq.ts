// RabbitMQ (amqplib) behind the bench's adapter interface, a reference point for the low-load
// scenarios: a durable queue, persistent messages published on a ConfirmChannel (add() resolves
// on the broker's confirm, so a job is as safely stored as it will be), and a consumer with
// prefetch = the worker's concurrency and a manual ack after the (no-op) processor. The Redis
// address is ignored: the server is RABBITMQ_URL (default amqp://guest:guest@127.0.0.1:5672).
// Queue names get a prefix so that the bench never touches anyone else's queues.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { connect, type ChannelModel } from 'amqplib';
import { withTimeout } from '../lib/cleanup.js';
import type { Adapter, Payload } from './types.js';

// amqplib's exports map leaves out package.json: read it next to its entry point
const entry = createRequire(import.meta.url).resolve('amqplib');
const pkg = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string };
const URL = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const shown = URL.replace(/^amqp:\/\/[^@]*@/, '');
const name = (queue: string) => `sluice-bench.${queue}`;

/**
 * Connects, or fails within 2 s (a host that drops packets would otherwise hang for long).
 * noDelay: amqplib leaves Nagle on by default, which holds small frames (acks, publishes) back
 * for tens of ms at low rates; the Redis clients and nats.js turn it off, so here too.
 */
async function open(): Promise<ChannelModel> {
  const pending = connect(URL, { timeout: 2_000, noDelay: true });
  try {
    return await withTimeout(pending, 2_000, `rabbitmq at ${shown}`);
  } catch (err) {
    pending.then((late) => late.close()).catch(() => undefined);
    throw err;
  }
}

/** Runs `fn` on a short-lived channel (the bench process's setup and teardown). */
async function admin<T>(fn: (ch: Awaited<ReturnType<ChannelModel['createChannel']>>, conn: ChannelModel) => Promise<T>): Promise<T> {
  const conn = await open();
  try {
    return await fn(await conn.createChannel(), conn);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

export const adapter: Adapter = {
  name: 'rabbitmq',
  version: `amqplib ${pkg.version}`,
  broker: {
    url: shown,
    probe: () => admin(async (_ch, conn) => String(conn.connection.serverProperties.version ?? 'unknown')),
    async create(queue) {
      await admin(async (ch) => {
        await ch.deleteQueue(name(queue));
        await ch.assertQueue(name(queue), { durable: true });
      });
    },
    async remove(queue) {
      await admin((ch) => ch.deleteQueue(name(queue)));
    },
  },
  async producer(_redis, queue) {
    const conn = await open();
    const ch = await conn.createConfirmChannel();
    const publish = (data: Payload) =>
      new Promise<void>((resolve, reject) => {
        ch.sendToQueue(name(queue), Buffer.from(JSON.stringify(data)), { persistent: true }, (err) => (err ? reject(err) : resolve()));
      });
    return {
      add: (data) => publish(data),
      addBulk: async (data) => {
        await Promise.all(data.map(publish));
      },
      close: () => conn.close(),
    };
  },
  async worker(_redis, queue, spec) {
    const conn = await open();
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => spec.onFailed(err));
    await ch.prefetch(spec.concurrency);
    await ch.consume(
      name(queue),
      (msg) => {
        if (!msg) return spec.onFailed(new Error('rabbitmq: the consumer was cancelled'));
        spec.onStart(JSON.parse(msg.content.toString()) as Payload);
        ch.ack(msg);
        spec.onCompleted();
      },
      { noAck: false },
    );
    return { close: () => conn.close() };
  },
};
