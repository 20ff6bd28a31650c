// A producer and a worker in a process where `@opentelemetry/api` cannot be loaded (see
// no-otel-hooks.mjs), run by no-otel.test.ts. Env: REDIS_URL, PREFIX, TELEMETRY ("on": the
// default option, "off": telemetry: false). It adds a job that completes and one that fails
// once and is retried, and prints one JSON line: the results, the trace context each job
// carried, and the @opentelemetry specifiers asked for and the modules loaded.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const seen = { asked: [], loaded: [] };
const { port1, port2 } = new MessageChannel();
port1.on('message', (m) => seen[m.kind].push(m.what));
port1.unref();
register('./no-otel-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

setTimeout(() => {
  console.error('timed out');
  process.exit(2);
}, 30_000).unref();

// imported after the hooks are in place
const { Queue, Worker } = await import('../../dist/src/index.js');
const { pino } = await import('pino');

const opts = {
  connection: process.env.REDIS_URL,
  prefix: process.env.PREFIX,
  logger: pino({ level: 'silent' }),
  ...(process.env.TELEMETRY === 'off' ? { telemetry: false } : {}),
};
const queue = new Queue('plain', opts);
const results = {};
const worker = new Worker(
  'plain',
  async (job) => {
    if (job.name === 'flaky' && job.attemptsMade === 0) throw new Error('first try fails');
    return job.data.n * 2;
  },
  opts,
);
const done = new Promise((resolve, reject) => {
  worker.on('completed', (job, result) => {
    results[job.name] = { result, attemptsMade: job.attemptsMade, traceContext: job.opts.traceContext ?? null };
    if (Object.keys(results).length === 2) resolve();
  });
  worker.on('error', reject);
});
const added = [await queue.add('double', { n: 21 }), await queue.add('flaky', { n: 2 }, { attempts: 2 })];
await done;
await worker.close();
await queue.close();
// the hooks' last messages (they run on their own thread)
await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ results, addedTraceContexts: added.map((j) => j.opts.traceContext ?? null), ...seen }));
