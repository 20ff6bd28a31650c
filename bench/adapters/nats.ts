// NATS JetStream (the `nats` client) behind the bench's adapter interface, a reference point
// for the low-load scenarios: one stream per turn with file storage, add() awaits the publish
// ack (the message is stored in the stream), and a durable pull consumer with explicit ack and
// max ack pending = the scenario's jobs in flight, read with consume() (batches of up to the
// worker's concurrency) and acked after the (no-op) processor. The Redis address is ignored:
// the server is NATS_URL (default nats://127.0.0.1:4222).
import { createRequire } from 'node:module';
import { AckPolicy, connect, JSONCodec, StorageType, type NatsConnection } from 'nats';
import { withTimeout } from '../lib/cleanup.js';
import type { Adapter, Payload } from './types.js';

const pkg = createRequire(import.meta.url)('nats/package.json') as { version: string };
const URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const shown = URL.replace(/^nats:\/\//, '');
// stream names may not hold dots; subjects are dot-separated tokens
const stream = (queue: string) => `sluice-bench-${queue}`;
const subject = (queue: string) => `sluice-bench.${queue}`;
const DURABLE = 'worker';
const codec = JSONCodec<Payload>();

/** Connects, or fails within 2 s. */
async function open(): Promise<NatsConnection> {
  return withTimeout(connect({ servers: URL, timeout: 2_000, reconnect: false }), 2_500, `nats at ${shown}`);
}

async function admin<T>(fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await open();
  try {
    return await fn(nc);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** Deletes the turn's stream (and with it its consumer); a missing stream is fine. */
async function deleteStream(nc: NatsConnection, queue: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream(queue)).catch((err: Error) => {
    if (!/not found/i.test(err.message)) throw err;
  });
}

export const adapter: Adapter = {
  name: 'nats',
  version: `nats.js ${pkg.version}`,
  broker: {
    url: shown,
    probe: () =>
      admin(async (nc) => {
        await nc.jetstreamManager(); // fails when the server runs without JetStream
        return nc.info?.version ?? 'unknown';
      }),
    async create(queue, spec) {
      await admin(async (nc) => {
        await deleteStream(nc, queue);
        const jsm = await nc.jetstreamManager();
        await jsm.streams.add({ name: stream(queue), subjects: [subject(queue)], storage: StorageType.File });
        await jsm.consumers.add(stream(queue), {
          durable_name: DURABLE,
          ack_policy: AckPolicy.Explicit,
          max_ack_pending: spec.maxInFlight,
        });
      });
    },
    remove: (queue) => admin((nc) => deleteStream(nc, queue)),
  },
  async producer(_redis, queue) {
    const nc = await open();
    const js = nc.jetstream();
    const add = async (data: Payload) => {
      await js.publish(subject(queue), codec.encode(data));
    };
    return {
      add,
      addBulk: async (data) => {
        await Promise.all(data.map(add));
      },
      close: () => nc.close(),
    };
  },
  async worker(_redis, queue, spec) {
    const nc = await open();
    const consumer = await nc.jetstream().consumers.get(stream(queue), DURABLE);
    const messages = await consumer.consume({ max_messages: spec.concurrency });
    const loop = (async () => {
      for await (const m of messages) {
        spec.onStart(codec.decode(m.data));
        m.ack();
        spec.onCompleted();
      }
    })().catch((err: Error) => spec.onFailed(err));
    return {
      async close() {
        await messages.close();
        await loop;
        await nc.close();
      },
    };
  },
};
