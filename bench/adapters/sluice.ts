// sluice behind the bench's common adapter interface. Retention is a job option in sluice, so
// the producer sets it through defaultJobOptions.
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { Queue, Worker, type JobsOptions } from '../../src/index.js';
import { sleep } from '../lib/cleanup.js';
import type { Adapter, AddOptions, Payload, Retention } from './types.js';

const logger = pino({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' });
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

function jobOptions(retention: Retention): JobsOptions {
  if (retention === 'remove') return { removeOnComplete: true };
  if (retention === 'keep') return { removeOnComplete: false };
  return {};
}

/** Per-job options; undefined for a plain job, so that it takes the add path the other scenarios measure. */
function addOptions(o: AddOptions | undefined): JobsOptions | undefined {
  if (!o || (o.delayMs === undefined && o.priority === undefined && o.orderingKey === undefined)) return undefined;
  const out: JobsOptions = {};
  if (o.orderingKey !== undefined) out.orderingKey = o.orderingKey;
  if (o.delayMs !== undefined) out.delay = o.delayMs;
  if (o.priority !== undefined) out.priority = o.priority;
  return out;
}

export const adapter: Adapter = {
  name: 'sluice',
  version: pkg.version,
  async producer(redis, queueName, retention) {
    const queue = new Queue<Payload>(queueName, {
      connection: { host: redis.host, port: redis.port },
      defaultJobOptions: jobOptions(retention),
      logger,
    });
    await queue.waitUntilReady();
    return {
      add: async (data, opts) => {
        await queue.add('bench', data, addOptions(opts));
      },
      addBulk: async (data, opts) => {
        await queue.addBulk(data.map((d, k) => ({ name: 'bench', data: d, opts: addOptions(opts?.[k]) })));
      },
      close: () => queue.close(),
    };
  },
  async worker(redis, queueName, spec) {
    const worker = new Worker<Payload>(
      queueName,
      (job) => {
        spec.onStart(job.data, job.processedOn);
      },
      {
        connection: spec.cluster ?? { host: redis.host, port: redis.port },
        concurrency: spec.concurrency,
        limiter: spec.limiter,
        partitions: spec.partitions,
        prefetch: spec.prefetch,
        blockMs: spec.blockMs,
        logger,
      },
    );
    worker.on('completed', () => spec.onCompleted());
    worker.on('failed', (_job, err) => spec.onFailed(err));
    worker.on('error', (err) => spec.onFailed(err));
    const deadline = Date.now() + 10_000;
    while (worker.health().state !== 'running') {
      if (Date.now() > deadline) throw new Error(`sluice worker not running after 10 s (state ${worker.health().state})`);
      await sleep(5);
    }
    return { close: () => worker.close({ timeoutMs: 5_000 }) };
  },
};
