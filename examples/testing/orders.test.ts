// A vitest suite for the processor in ./orders.ts, the way docs/testing.md describes: a private
// redis-server for the file, a queue under a unique prefix per test, a worker run until the
// queue is drained, and a delayed job promoted (its due time is Redis time: vi.useFakeTimers()
// cannot move it). In your project, import from 'sluice/testing' and 'sluice'.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createTestQueue, promoteAll, runUntilDrained, startRedis, type TestQueue, type TestRedis } from '../../src/testing/index.js';
import { orderProcessor, placeOrder, type Order, type Payments } from './orders.js';

const logger = pino({ level: 'warn' });

describe('orders', () => {
  let redis: TestRedis;
  let queue: TestQueue<Order, string>;
  const sent: { to: string; text: string }[] = [];
  const mailer = { send: async (to: string, text: string) => void sent.push({ to, text }) };

  beforeAll(async () => {
    redis = await startRedis(); // REDIS_URL when set, else a private redis-server
  });
  afterAll(async () => {
    await redis.stop();
  });
  beforeEach(() => {
    sent.length = 0;
    queue = createTestQueue<Order, string>('orders', { connection: redis.url, logger });
  });
  afterEach(async () => {
    await queue.cleanup(); // deletes this test's keys only
  });

  it('charges the order now and sends the reminder a day later', async () => {
    const payments: Payments = { charge: async (id, cents) => `receipt ${id}: ${cents}` };
    await placeOrder(queue, { id: 7, cents: 1250, email: 'ada@example.com' });

    const now = await runUntilDrained(queue, orderProcessor(payments, mailer), { worker: { logger } });
    expect(now.completed.map((c) => c.result)).toEqual(['receipt 7: 1250']);
    expect(sent).toEqual([]);
    // the reminder waits for its due time, a day away in Redis time
    expect(await queue.getJobCounts()).toMatchObject({ delayed: 1, waiting: 0 });

    expect(await promoteAll(queue)).toBe(1);
    const later = await runUntilDrained(queue, orderProcessor(payments, mailer), { worker: { logger } });
    expect(later.completed.map((c) => c.job.name)).toEqual(['reminder']);
    expect(sent).toEqual([{ to: 'ada@example.com', text: 'How was order 7?' }]);
  });

  it('retries a declined charge without waiting out the backoff', async () => {
    let declines = 2;
    const payments: Payments = {
      charge: async (id) => {
        if (declines-- > 0) throw new Error('card declined');
        return `receipt ${id}`;
      },
    };
    await placeOrder(queue, { id: 8, cents: 990, email: 'bob@example.com' });

    // promote: every delayed job and retry runs now, until none is left
    const run = await runUntilDrained(queue, orderProcessor(payments, mailer), { promote: true, worker: { logger } });
    expect(run.failed.map((f) => [f.error.message, f.willRetry])).toEqual([
      ['card declined', true],
      ['card declined', true],
    ]);
    expect(run.completed.map((c) => c.result).sort()).toEqual(['receipt 8', 'reminded bob@example.com']);
    const charge = await queue.getJob('charge-8');
    expect(await charge?.getState()).toBe('completed');
    expect(charge?.attemptsMade).toBe(2);
  });

  it('a charge declined three times is dead-lettered', async () => {
    const payments: Payments = { charge: async () => Promise.reject(new Error('card declined')) };
    await placeOrder(queue, { id: 9, cents: 100, email: 'cy@example.com' });
    const run = await runUntilDrained(queue, orderProcessor(payments, mailer), { promote: true, worker: { logger } });
    expect(run.failed.map((f) => f.willRetry)).toEqual([true, true, false]);
    expect(run.counts.failed).toBe(1);
    expect((await queue.getJob('charge-9'))?.failedReason).toBe('card declined');
  });
});
