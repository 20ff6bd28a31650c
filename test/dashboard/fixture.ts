// Shared by the dashboard's tests: a queue with a job in every state (waiting, active, delayed,
// completed, failed), and a dashboard served on a free port.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Job, Queue, Worker } from '../../src/index.js';
import type { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

type Ctx = ReturnType<typeof useRedis>;

/** What seedQueue made. */
export interface Seeded {
  queue: Queue;
  worker: Worker;
  ids: { completed: string; failed: string; active: string; delayed: string; waiting: string[] };
  /** Lets the active job finish. */
  release(): void;
}

/**
 * A queue with 2 waiting jobs, 1 active (held by a worker until release()), 1 delayed, 1
 * completed and 1 failed (with a stack trace). The group is paused once the active job runs,
 * so that the waiting jobs (and any job retried from the page) stay waiting.
 */
export async function seedQueue(t: Ctx, name: string, failedName = 'charge-card'): Promise<Seeded> {
  const queue = t.queue(name);
  let release = () => {};
  const hold = new Promise<void>((resolve) => {
    release = resolve;
  });
  const finished: Job[] = [];
  const worker = t.worker(
    name,
    async (job) => {
      if (job.name === 'hold') return hold;
      if (job.name === failedName) throw new Error(`card declined (${job.name}) for ${JSON.stringify(job.data)}`);
      return { ok: true };
    },
    { concurrency: 1, prefetch: 0, allowErrors: true },
  );
  worker.on('completed', (job: Job) => void finished.push(job));
  worker.on('failed', (job: Job | undefined) => void (job && finished.push(job)));
  const completed = await queue.add('send-receipt', { order: 1 });
  const failed = await queue.add(failedName, { order: 2 }, { attempts: 1 });
  await waitFor(() => finished.length === 2, 10_000, 'a completed and a failed job');
  const active = await queue.add('hold', { order: 3 });
  await waitFor(async () => (await queue.getJobCounts()).active === 1, 10_000, 'the active job');
  await queue.pause();
  const waiting = [(await queue.add('later-1', { order: 4 })).id, (await queue.add('later-2', { order: 5 })).id];
  const delayed = await queue.add('reminder', { order: 6 }, { delay: 3_600_000 });
  return { queue, worker, ids: { completed: completed.id, failed: failed.id, active: active.id, delayed: delayed.id, waiting }, release };
}

/** Serves a request handler on 127.0.0.1 and a free port. */
export async function serve(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
