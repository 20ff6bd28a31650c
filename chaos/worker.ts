// A chaos worker process (forked by the runner; never run by hand): one sluice Worker whose
// processor records each start in the history, awaited before the job's work, then sleeps the
// job's `ms` and returns { pid, token, delivery }. Its completed, failed, lost, stalled and error
// events are recorded too. The runner SIGKILLs, SIGSTOPs and restarts these processes.
import { pino } from 'pino';
import { Worker } from '../src/index.js';
import {
  connectionOf,
  readChildConfig,
  spreadOf,
  type ChaosJobData,
  type ChaosResult,
  type ChildMessage,
  type WorkerChildConfig,
} from './lib/child-config.js';
import { HistoryWriter } from './lib/history.js';

const config = readChildConfig<WorkerChildConfig>();
const history = new HistoryWriter(config.recorderUrl);
const pid = process.pid;
/** The delivery this process runs of each job, to say which one a `lost` event discards. */
const running = new Map<string, number>();
/** Spread into the job records of a worker of another group than the default one. */
const group = config.group && config.group !== 'default' ? { g: config.group } : {};

/** When a job was due (Redis time): a delayed add's timestamp + delay, a scheduler job's slot (id repeat:<key>:<slot>). */
function dueOf(id: string, timestamp: number, delay: number | undefined): number | undefined {
  if (delay) return timestamp + delay;
  if (id.startsWith('repeat:')) return Number(id.slice(id.lastIndexOf(':') + 1));
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const worker = new Worker<ChaosJobData, ChaosResult>(
  config.queue,
  async (job, { signal }) => {
    const token = job.token ?? '';
    running.set(job.id, job.deliveries);
    const po = job.processedOn ?? 0;
    const due = dueOf(job.id, job.timestamp, job.data.delay);
    await history.write({
      ...group,
      ...(due === undefined ? {} : { due }),
      ...(job.id.startsWith('repeat:') ? { ts: job.timestamp } : {}),
      k: 'start',
      id: job.id,
      seq: job.data.seq,
      d: job.deliveries,
      st: job.stalls,
      a: job.attemptsMade,
      tk: token,
      po,
      pid,
      t: Date.now(),
    });
    await sleep(job.data.ms, config.ignoreAbort ? undefined : signal);
    if (config.failRate && Math.random() < config.failRate) throw new Error('chaos: a random failure');
    return { pid, token, delivery: job.deliveries };
  },
  {
    connection: connectionOf(config),
    ...spreadOf(config),
    prefix: config.prefix,
    concurrency: config.concurrency,
    leaseMs: config.leaseMs,
    ...(config.group ? { group: config.group } : {}),
    ...(config.limiter ? { limiter: config.limiter } : {}),
    logger: pino({ level: 'silent' }),
  },
);

worker.on('completed', (job) => {
  running.delete(job.id);
  history.send({ ...group, k: 'done', id: job.id, d: job.deliveries, tk: job.token ?? '', pid, t: Date.now() });
});
worker.on('failed', (job, err, willRetry) => {
  if (!job) return;
  running.delete(job.id);
  history.send({ ...group, k: 'failed', id: job.id, d: job.deliveries, err: err.message, retry: willRetry, pid, t: Date.now() });
});
worker.on('lost', (id) => {
  const d = running.get(id);
  running.delete(id);
  history.send(d === undefined ? { ...group, k: 'lost', id, pid, t: Date.now() } : { ...group, k: 'lost', id, d, pid, t: Date.now() });
});
worker.on('stalled', (id) => history.send({ k: 'stalled', id, pid, t: Date.now() }));
worker.on('error', (err) => history.send({ k: 'error', err: String(err?.message ?? err), pid, t: Date.now() }));

// Each stall of this process's event loop longer than CHAOS_LAG_MS (default 250 ms; 0: off) is
// recorded as a `stall` fault of this pid: on a busy host a worker can stall past a short lease
// (a job leased ahead holds leaseMs / 6, at least 1 s) with no fault injected, and the job's
// rerun is then explained by that stall (chaos/lib/faults.ts), counted apart in the report
const lagMs = Number(process.env.CHAOS_LAG_MS ?? 250);
if (lagMs > 0) {
  let last = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (now - last - 50 > lagMs) history.send({ k: 'fault', what: 'stall', pid, t: last + 50, until: now });
    last = now;
  }, 50).unref();
}

process.on('message', (m) => {
  if (m !== 'close') return;
  void worker
    .close({ timeoutMs: 5000 })
    .then(() => history.close())
    .then(() => process.exit(0));
});
process.send?.({ t: 'ready', pid } satisfies ChildMessage);
