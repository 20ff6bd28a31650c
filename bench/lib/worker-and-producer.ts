// The shape most scenarios share: a worker process and a producer process of one library for one
// turn (forked together, always stopped), and the produce-and-drain sequence measured between two
// snapshots — the worker starts and settles, the producer starts, both report done.
import type { ProducerChildConfig, ProducerChildResult } from '../producer-child.js';
import type { WorkerChildConfig, WorkerChildResult } from '../worker-child.js';
import { sleep } from './cleanup.js';
import { ChildHandle } from './protocol.js';

/** Forks `lib`'s worker child and producer child, runs `fn` with both, and stops both. */
export async function withWorkerAndProducer<T>(
  lib: string,
  wc: WorkerChildConfig,
  pc: ProducerChildConfig,
  fn: (worker: ChildHandle, producer: ChildHandle) => Promise<T>,
): Promise<T> {
  const [worker, producer] = await Promise.all([
    ChildHandle.fork('worker-child', `${lib} worker`, wc),
    ChildHandle.fork('producer-child', `${lib} producer`, pc),
  ]);
  try {
    return await fn(worker, producer);
  } finally {
    await Promise.all([producer.stop(), worker.stop()]);
  }
}

/**
 * Starts the worker, waits until it runs (and `settleMs` more), then, inside `around` (the
 * snapshots that measure the phase), starts the producer and waits for both to be done within
 * `budgetMs`. Throws when a job failed in the worker.
 */
export async function produceAndDrain<D>(
  worker: ChildHandle,
  producer: ChildHandle,
  opts: {
    budgetMs: number;
    settleMs?: number;
    around: <T>(fn: () => Promise<T>) => Promise<{ value: T; delta: D }>;
  },
): Promise<{ p: ProducerChildResult; w: WorkerChildResult; delta: D }> {
  worker.send({ type: 'start' });
  await worker.waitFor('running', 20_000);
  if (opts.settleMs) await sleep(opts.settleMs);
  const { value, delta } = await opts.around(async () => {
    producer.send({ type: 'start' });
    const p = (await producer.waitFor('done', opts.budgetMs)).result as ProducerChildResult;
    const w = (await worker.waitFor('done', opts.budgetMs)).result as WorkerChildResult;
    return { p, w };
  });
  if (value.w.failed > 0) throw new Error(`${value.w.failed} jobs failed in the worker`);
  return { ...value, delta };
}
