// Flow control, as docs/flow-control.md shows it (`npm run example:email`; run as a test too): an email
// sender in front of an SMTP relay that takes at most 50 messages per 200 ms. The relay's rate
// is the group's rate limit, whatever the number of workers; each customer's emails go out one
// at a time in the order they were queued (orderingKey); and when the relay answers "429, slow
// down", RateLimitError pauses every worker and puts the email back without using an attempt.
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Queue, RateLimitError, Worker } from '../src/index.js';
import { resolveRedis } from './embedded-redis.js';

export interface Email {
  customer: string;
  kind: 'welcome' | 'receipt' | 'shipped';
  seq: number;
}

/** A stand-in for the SMTP relay: it records what it got, and refuses once when pushed. */
export class FakeRelay {
  readonly delivered: (Email & { at: number })[] = [];
  refusals = 0;
  private refuseNext = true;

  async send(email: Email): Promise<void> {
    // the first time the 100th message arrives, the relay says "slow down for 300 ms"
    if (this.delivered.length === 100 && this.refuseNext) {
      this.refuseNext = false;
      this.refusals++;
      throw new RateLimitError(300, 'relay: 421 too many messages, retry in 300 ms');
    }
    this.delivered.push({ ...email, at: Date.now() });
  }
}

export async function runEmailSender(connection: string, prefix: string, customers = 40): Promise<{ relay: FakeRelay; elapsedMs: number }> {
  const logger = pino({ level: 'warn' });
  const queue = new Queue<Email>('emails', { connection, prefix, logger });
  const relay = new FakeRelay();
  const options = {
    connection,
    prefix,
    logger,
    concurrency: 20,
    limiter: { max: 50, duration: 200 }, // the relay's rate, for the whole group
    keyConcurrency: 1, // one email at a time per customer
  };
  const workers = [1, 2].map(() => new Worker<Email>('emails', (job) => relay.send(job.data), options));
  const started = Date.now();
  try {
    const kinds: Email['kind'][] = ['welcome', 'receipt', 'shipped'];
    await queue.addBulk(
      kinds.flatMap((kind, seq) =>
        Array.from({ length: customers }, (_, c) => ({
          name: kind,
          data: { customer: `customer-${c}`, kind, seq },
          opts: { orderingKey: `customer-${c}`, attempts: 3, backoff: { type: 'exponential' as const, delay: 100 } },
        })),
      ),
    );
    const total = customers * kinds.length;
    while (relay.delivered.length < total) {
      if (Date.now() - started > 20_000) throw new Error(`email example: ${relay.delivered.length}/${total} sent after 20 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { relay, elapsedMs: Date.now() - started };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const redis = await resolveRedis();
  try {
    const { relay, elapsedMs } = await runEmailSender(redis.url, `emails-${randomBytes(3).toString('hex')}`);
    console.log(
      `${relay.delivered.length} emails in ${elapsedMs} ms through a relay limited to 50 per 200 ms ` +
        `(${relay.refusals} "slow down" answer honoured)`,
    );
    const first = relay.delivered.filter((e) => e.customer === 'customer-0').map((e) => e.kind);
    console.log(`customer-0 got, in order: ${first.join(' → ')}`);
  } finally {
    await redis.stop();
  }
}
