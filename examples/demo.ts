// The sluice demo (`npm run demo`): a producer enqueues 3,003 orders, three worker processes
// (dist/examples/demo-worker.js, concurrency 20 each) process them, and the demo shows a live
// progress line and a summary. Among the orders: one that fails twice and succeeds on its
// third attempt (exponential backoff), one poison order that ends in the failed (dead-letter)
// set, and one delayed by 2 s.
// Redis: REDIS_URL if set, else 127.0.0.1:6379 if it answers, else a private redis-server
// (SLUICE_DEMO_EMBEDDED=1 skips the 6379 probe); see embedded-redis.ts. The demo never flushes
// a Redis: it uses a unique key prefix (demo-<random>, or SLUICE_DEMO_PREFIX) and deletes only
// its own queue at the end (obliterate).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Queue, type Job } from '../src/index.js';
import { n, printTable, ProgressLine, seconds } from './demo-report.js';
import { QUEUE, type Order, type ParentMessage, type Receipt, type WorkerMessage } from './demo-shared.js';
import { NoRedisError, resolveRedis, type DemoRedis } from './embedded-redis.js';

const BULK = 3000;
const SPECIAL = 3;
const TOTAL = BULK + SPECIAL;
const PROCESSES = 3;
const CONCURRENCY = 20;
const DEADLINE_MS = 25_000;

interface Child {
  proc: ChildProcess;
  pid: number;
  ready: boolean;
  exited: boolean;
  completed: number;
  failed: number;
  retried: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const logger = pino({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
const children: Child[] = [];
const traces: { at: number; pid: number; jobId: string; text: string }[] = [];
let interrupted = false;
let finishedAt: number | undefined;
let drainedAt: number | undefined;

const settled = () => children.reduce((sum, c) => sum + c.completed + c.failed, 0);

function order(i: number, extra: Partial<Order> = {}): Order {
  return { order: i, sku: `SKU-${1 + (i % 17)}`, qty: 1 + (i % 5), priceCents: 499 + (i % 7) * 100, ...extra };
}

function startChild(script: string, env: NodeJS.ProcessEnv): Child {
  const proc = fork(script, [], { env });
  const child: Child = { proc, pid: proc.pid ?? 0, ready: false, exited: false, completed: 0, failed: 0, retried: 0 };
  proc.on('message', (message: WorkerMessage) => {
    if (message.type === 'ready') child.ready = true;
    else if (message.type === 'trace') traces.push({ at: Date.now(), ...message });
    else if (message.type === 'stats') {
      Object.assign(child, { completed: message.completed, failed: message.failed, retried: message.retried });
      const done = settled();
      if (drainedAt === undefined && done >= TOTAL - 1) drainedAt = Date.now();
      if (finishedAt === undefined && done >= TOTAL) finishedAt = Date.now();
    }
  });
  proc.on('exit', () => (child.exited = true));
  proc.on('error', (err) => console.error(`worker process ${child.pid}: ${err.message}`));
  return child;
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exited) return resolve();
          const timer = setTimeout(() => c.proc.kill('SIGKILL'), 7000);
          c.proc.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          // it may be closing already (Ctrl-C reached it too): then the send just fails
          if (c.proc.connected) c.proc.send({ type: 'stop' } satisfies ParentMessage, () => undefined);
          else c.proc.kill('SIGTERM');
        }),
    ),
  );
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (interrupted) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

async function run(queue: Queue<Order, Receipt>, redis: DemoRedis, prefix: string): Promise<number> {
  // 1. Three worker processes, each a Worker with concurrency 20, sharing the queue via Redis.
  const script = fileURLToPath(new URL('./demo-worker.js', import.meta.url));
  const env = { ...process.env, REDIS_URL: redis.url, SLUICE_PREFIX: prefix, DEMO_CONCURRENCY: String(CONCURRENCY) };
  for (let i = 0; i < PROCESSES; i++) children.push(startChild(script, env));
  await waitUntil(() => children.every((c) => c.ready), 10_000, 'the worker processes to start');

  // 2. The producer: three special orders, then 3,000 ordinary ones in bulk.
  const t0 = Date.now();
  await queue.add('order', order(BULK + 1, { simulate: 'flaky' }), {
    jobId: 'order-flaky',
    attempts: 3,
    backoff: { type: 'exponential', delay: 100 },
  });
  await queue.add('order', order(BULK + 2, { qty: -1, simulate: 'poison' }), { jobId: 'order-poison', attempts: 3 });
  await queue.add('order', order(BULK + 3), { jobId: 'order-delayed', delay: 2000 });
  await queue.addBulk(Array.from({ length: BULK }, (_, i) => ({ name: 'order', data: order(i + 1) })));
  const enqueueMs = Date.now() - t0;
  console.log(
    `producer: enqueued ${n(TOTAL)} orders in ${enqueueMs} ms; ${PROCESSES} worker processes x concurrency ${CONCURRENCY} at work`,
  );

  // 3. Watch until every order is settled (completed, or failed for good).
  const progress = new ProgressLine();
  for (;;) {
    const counts = await queue.getJobCounts();
    // workers outside this demo (e.g. docker compose's demo-worker) may take part: Redis knows
    const finished = counts.completed + counts.failed;
    if (drainedAt === undefined && finished >= TOTAL - 1) drainedAt = Date.now();
    if (finishedAt === undefined && finished >= TOTAL && counts.waiting + counts.active + counts.delayed === 0) finishedAt = Date.now();
    progress.show(counts, Math.max(settled(), finished), (finishedAt ?? Date.now()) - t0);
    if (finishedAt !== undefined) break;
    const lost = children.find((c) => c.exited);
    if (interrupted || lost || Date.now() - t0 > DEADLINE_MS) {
      progress.end();
      if (interrupted) console.log('interrupted: closing the workers and cleaning up');
      else if (lost) console.error(`worker process ${lost.pid} exited unexpectedly`);
      else console.error(`the demo did not finish within ${DEADLINE_MS / 1000} s (${n(settled())}/${n(TOTAL)} settled)`);
      return interrupted ? 130 : 1;
    }
    await sleep(100);
  }
  progress.end();

  // 4. The summary, read back from Redis.
  const [counts, flaky, poison, delayed] = await Promise.all([
    queue.getJobCounts(),
    queue.getJob('order-flaky'),
    queue.getJob('order-poison'),
    queue.getJob('order-delayed'),
  ]);
  await stopChildren();
  const elapsed = finishedAt - t0;
  const others = TOTAL - settled();
  const bulkMs = (drainedAt ?? finishedAt) - t0;
  const describe = async (job: Job<Order, Receipt> | undefined, what: (j: Job<Order, Receipt>) => string) =>
    job ? `${job.id}: ${await job.getState()}, ${what(job)}` : '(not found: removed by retention?)';
  printTable('sluice demo: summary', [
    ['Redis', `${redis.url} (${redis.source === 'embedded' ? 'private redis-server, started by the demo' : redis.source})`],
    ['Key prefix', `${prefix} (deleted at the end)`],
    ['-', ''],
    ['Enqueued', `${n(TOTAL)} jobs (${n(BULK)} with addBulk + ${SPECIAL} special) in ${enqueueMs} ms`],
    ['Completed', n(counts.completed)],
    ['Failed', `${n(counts.failed)} (the failed set is the dead-letter set)`],
    ['Still open', `waiting ${counts.waiting}, active ${counts.active}, delayed ${counts.delayed}`],
    ['Retried attempts', n(children.reduce((sum, c) => sum + c.retried, 0))],
    ['Elapsed', `${seconds(elapsed)} from the first enqueue to the last job settled`],
    ['Jobs/s', `${n((TOTAL * 1000) / elapsed)} overall (the delayed job waits 2 s)`],
    ['Jobs/s, bulk', `${n(((TOTAL - 1) * 1000) / bulkMs)} until all but the delayed job had settled`],
    ['  note', `each order simulates 10–40 ms of I/O in ${children.length} × ${Number(process.env.DEMO_CONCURRENCY ?? 20)} slots, so this`],
    ['', `is about the most those slots allow; bench/ measures sluice's own speed`],
    ['-', ''],
    ...children.map((c): [string, string] => [
      `Worker pid ${c.pid}`,
      `${n(c.completed + c.failed)} jobs (${((100 * (c.completed + c.failed)) / TOTAL).toFixed(1)} %), ` +
        `${c.retried} ${c.retried === 1 ? 'retry' : 'retries'}`,
    ]),
    ...(others > 0 ? [['Other processes', `${n(others)} jobs (workers outside this demo)`] as [string, string]] : []),
    ['-', ''],
    ['Retry job', await describe(flaky, (j) => `${j.attemptsMade + 1} attempts (${j.attemptsMade} failed), ${j.deliveries} deliveries`)],
    ['Poison job', await describe(poison, (j) => `after ${j.attemptsMade} of ${j.opts.attempts} attempts (UnrecoverableError)`)],
    ['  failedReason', poison?.failedReason ?? '-'],
    [
      'Delayed job',
      await describe(
        delayed,
        (j) => `asked ${n(j.opts.delay ?? 0)} ms, ran after ${n((j.processedOn ?? 0) - j.timestamp)} ms (Redis time)`,
      ),
    ],
  ]);
  console.log('\nThe special jobs, attempt by attempt:');
  for (const t of traces.sort((a, b) => a.at - b.at)) {
    console.log(`  +${n(t.at - t0).padStart(5)} ms  ${t.jobId.padEnd(13)}  pid ${t.pid}  ${t.text}`);
  }
  const ok = counts.completed === TOTAL - 1 && counts.failed === 1 && flaky?.attemptsMade === 2 && poison?.failedReason !== undefined;
  if (!ok) console.error('\nunexpected outcome: see the table above');
  return ok ? 0 : 1;
}

async function main(): Promise<number> {
  // Ctrl-C (or SIGTERM) ends the run early but still cleans up: workers, queue, embedded Redis
  const onSignal = () => (interrupted = true);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // output piped into `head` must not crash the demo before it cleans up
  process.stdout.on('error', () => undefined);
  let redis: DemoRedis;
  try {
    redis = await resolveRedis();
  } catch (err) {
    if (!(err instanceof NoRedisError)) throw err;
    console.error(err.message);
    return 1;
  }
  const prefix = process.env.SLUICE_DEMO_PREFIX ?? `demo-${randomBytes(4).toString('hex')}`;
  console.log(`sluice demo: Redis ${redis.url} (${redis.source}), key prefix "${prefix}"`);
  // Keep every completed job for the summary: the default retention keeps the newest 1,000.
  const queue = new Queue<Order, Receipt>(QUEUE, {
    connection: redis.url,
    prefix,
    logger,
    defaultJobOptions: { removeOnComplete: { age: 3600, count: 10_000 } },
  });
  // last resort for a crash: never leave worker processes behind
  process.once('exit', () => {
    for (const c of children) if (!c.exited) c.proc.kill('SIGKILL');
  });
  try {
    if (interrupted) return 130;
    return await run(queue, redis, prefix);
  } catch (err) {
    console.error(interrupted ? 'interrupted' : `demo failed: ${(err as Error).stack ?? String(err)}`);
    return interrupted ? 130 : 1;
  } finally {
    await stopChildren();
    // only this run's own queue, under its own prefix; nothing else in Redis is touched
    await queue.obliterate({ force: true }).catch((err: unknown) => console.error(`cleanup failed: ${(err as Error).message}`));
    await queue.close();
    await redis.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
