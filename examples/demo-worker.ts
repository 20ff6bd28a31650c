// A worker process of the demo: one sluice Worker (concurrency 20 by default) that "charges"
// orders. demo.ts forks three of these and they report to it over IPC (process.send): counts
// as they change (at most every 20 ms), and a trace line for each attempt of the special jobs.
// It also runs on its own, e.g. as the demo-worker service of docker-compose.yml:
//   REDIS_URL=redis://127.0.0.1:6379 SLUICE_PREFIX=demo node dist/examples/demo-worker.js
// Environment: REDIS_URL (default redis://127.0.0.1:6379), SLUICE_PREFIX (default "demo"),
// DEMO_CONCURRENCY (default 20). Stops gracefully on SIGTERM/SIGINT or the parent's "stop".
import { pino } from 'pino';
import { Worker, UnrecoverableError, shutdownOnSignals, type Job } from '../src/index.js';
import { QUEUE, type Order, type ParentMessage, type Receipt, type WorkerMessage } from './demo-shared.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.SLUICE_PREFIX ?? 'demo';
const concurrency = Number(process.env.DEMO_CONCURRENCY ?? 20);
const forked = typeof process.send === 'function';

function send(message: WorkerMessage): void {
  if (forked && process.connected) process.send!(message);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The demo's special jobs (flaky, poison, delayed): the parent tells their story. */
const traced = (job: Job<Order, Receipt>) => Boolean(job.data.simulate || job.opts.delay);

/** The business logic. A throw fails this attempt; the job's options decide what comes next. */
async function chargeOrder(job: Job<Order, Receipt>): Promise<Receipt> {
  const { order, qty, priceCents, simulate } = job.data;
  if (traced(job)) send({ type: 'trace', pid: process.pid, jobId: job.id, text: `attempt ${job.attemptsMade + 1} started` });
  if (simulate === 'poison') {
    // no retry can fix bad input: fail at once, straight to the failed (dead-letter) set
    throw new UnrecoverableError(`order ${order}: quantity ${qty} is negative, cannot charge`);
  }
  if (simulate === 'flaky' && job.attemptsMade < 2) {
    throw new Error(`payment gateway timed out (attempt ${job.attemptsMade + 1})`);
  }
  await sleep(10 + Math.random() * 30); // the "I/O" of a real charge
  return { order, chargedCents: qty * priceCents, pid: process.pid };
}

const worker = new Worker<Order, Receipt>(QUEUE, chargeOrder, {
  connection: url,
  prefix,
  concurrency,
  logger: pino({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' }),
});

let completed = 0;
let failed = 0;
let retried = 0;
worker.on('completed', (job) => {
  completed++;
  if (traced(job)) send({ type: 'trace', pid: process.pid, jobId: job.id, text: `completed on attempt ${job.attemptsMade + 1}` });
});
worker.on('failed', (job, err, willRetry) => {
  if (willRetry) retried++;
  else failed++;
  if (job && traced(job))
    send({
      type: 'trace',
      pid: process.pid,
      jobId: job.id,
      text: `${willRetry ? 'failed, will retry' : 'failed for good'}: ${err.message}`,
    });
});
worker.on('error', (err) => console.error(`[worker ${process.pid}] ${err.message}`));

const stats = (): WorkerMessage => ({ type: 'stats', pid: process.pid, completed, failed, retried });

if (forked) {
  send({ type: 'ready', pid: process.pid });
  // counts go to the parent at most every 20 ms, and only when they changed
  let pending: NodeJS.Timeout | undefined;
  const flush = () => {
    pending = undefined;
    send(stats());
  };
  worker.on('completed', () => (pending ??= setTimeout(flush, 20)));
  worker.on('failed', () => (pending ??= setTimeout(flush, 20)));
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'stop') return;
    clearTimeout(pending);
    void worker.close({ timeoutMs: 5000 }).then(() => {
      send(stats());
      process.disconnect();
      process.exit(0);
    });
  });
  // Ctrl-C reaches the whole process group: close gracefully (jobs in flight are handed back)
  shutdownOnSignals([worker], { timeoutMs: 5000 });
} else {
  console.log(`demo-worker ${process.pid}: queue "${QUEUE}", prefix "${prefix}", concurrency ${concurrency}, ${url}`);
  const timer = setInterval(
    () => console.log(`demo-worker ${process.pid}: ${completed} completed, ${failed} failed, ${retried} retried`),
    5000,
  );
  timer.unref();
  shutdownOnSignals([worker], { timeoutMs: 10_000 });
}
