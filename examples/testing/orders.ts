// The code under test in examples/testing/orders.test.ts: what an application has. Placing an
// order charges it (retried with a backoff when the payment provider declines) and schedules a
// reminder a day later; the processor handles both jobs.
import type { Processor, Queue } from '../../src/index.js';

export interface Order {
  id: number;
  cents: number;
  email: string;
}

/** The payment provider, injected so a test can stand in for it. */
export interface Payments {
  charge(orderId: number, cents: number): Promise<string>;
}

/** The mailer, injected likewise. */
export interface Mailer {
  send(to: string, text: string): Promise<void>;
}

const DAY = 24 * 60 * 60 * 1000;

export async function placeOrder(queue: Queue<Order, string>, order: Order): Promise<void> {
  await queue.add('charge', order, { jobId: `charge-${order.id}`, attempts: 3, backoff: { type: 'exponential', delay: 60_000 } });
  await queue.add('reminder', order, { jobId: `reminder-${order.id}`, delay: DAY });
}

export function orderProcessor(payments: Payments, mailer: Mailer): Processor<Order, string> {
  return async (job) => {
    const order = job.data;
    if (job.name === 'charge') return payments.charge(order.id, order.cents);
    if (job.name === 'reminder') {
      await mailer.send(order.email, `How was order ${order.id}?`);
      return `reminded ${order.email}`;
    }
    throw new Error(`unknown job ${job.name}`);
  };
}
