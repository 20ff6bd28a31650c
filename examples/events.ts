// Events and request/reply, as docs/events.md shows them; compiled with the project and run by
// test/docs/examples.test.ts.
import type { Queue, QueueEvents } from '../src/index.js';

export async function eventsTour(
  queue: Queue<Record<string, unknown>, unknown>,
  events: QueueEvents,
): Promise<{ receipt: unknown; price: unknown; seen: string[] }> {
  const seen: string[] = [];
  events.on('completed', ({ jobId }) => seen.push(jobId));
  const job = await queue.add('charge', { order: 7 });
  const receipt = await job.waitUntilFinished(events, 10_000);
  const price = await queue.call('quote', { sku: 'A-1' }, { timeout: 5_000 });
  return { receipt, price, seen };
}
