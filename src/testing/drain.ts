// Running a queue's jobs to the end inside a test: a Worker of the queue runs until the group
// has nothing waiting, active or due, and the test gets back what happened. Nothing sleeps or
// polls: the state is read from Redis once at the start and again after every job the worker
// settles, and a timeout ends a run that would never drain (a paused queue, a hung processor).
import type { Job } from '../job/job.js';
import type { JobCounts } from '../queue/queue-reader.js';
import type { Queue } from '../queue/queue.js';
import { Worker } from '../worker/worker.js';
import type { Processor, WorkerOptions } from '../worker/worker-api.js';
import type { TestQueue } from './test-queue.js';

export interface RunUntilDrainedOptions {
  /** The consumer group to run (default "default"). */
  group?: string;
  /** Give up after this long (default 10,000 ms): rejects with DrainTimeoutError. */
  timeoutMs?: number;
  /**
   * Promote delayed jobs and retries waiting out a backoff (queue.promoteJobs) before every
   * check, so they run now instead of at their due time, and run until none is left. Default
   * false: work due later is left where it is and does not keep the run going.
   */
  promote?: boolean;
  /** More options of the Worker (concurrency, leaseMs, backoffStrategies, logger, ...). */
  worker?: Omit<Partial<WorkerOptions>, 'connection' | 'prefix' | 'group' | 'autorun'>;
}

/** What a run did. */
export interface DrainResult<Data, Result> {
  /** The jobs completed, in the order the worker reported them. */
  completed: { job: Job<Data, Result>; result: Result }[];
  /** Every failed attempt; `willRetry` false means the job failed for good (dead letter). */
  failed: { job: Job<Data, Result> | undefined; error: Error; willRetry: boolean }[];
  /** The worker's `error` events (Redis trouble), which it survived. */
  errors: Error[];
  /** The group's counts once the worker closed. */
  counts: JobCounts;
}

/** runUntilDrained() ran out of time; `result` holds what happened until then. */
export class DrainTimeoutError<Data = unknown, Result = unknown> extends Error {
  readonly code = 'DRAIN_TIMEOUT';
  constructor(
    readonly timeoutMs: number,
    readonly result: DrainResult<Data, Result>,
  ) {
    const c = result.counts;
    super(
      `sluice/testing: the queue was not drained within ${timeoutMs} ms (waiting ${c.waiting}, active ${c.active}, delayed ${c.delayed}, ` +
        `paused ${c.paused}; ${result.completed.length} completed, ${result.failed.length} failed attempts). ` +
        'Is it paused, or does a job wait for a rate limit or hang? Raise timeoutMs, or pass promote: true for delayed work.',
    );
    this.name = 'DrainTimeoutError';
  }
}

/**
 * Runs a Worker of `queue` with `processor` until the group has nothing waiting, nothing active
 * and nothing due now (see TestQueue.isDrained), then closes it and resolves with what it did.
 * @example
 * await queue.add('charge', { orderId: 7 });
 * const { completed, failed } = await runUntilDrained(queue, chargeProcessor, { promote: true });
 * expect(completed.map((c) => c.result)).toEqual(['charged 7']);
 */
export async function runUntilDrained<Data, Result>(
  queue: TestQueue<Data, Result>,
  processor: Processor<Data, Result>,
  opts: RunUntilDrainedOptions = {},
): Promise<DrainResult<Data, Result>> {
  const group = opts.group ?? 'default';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const result: DrainResult<Data, Result> = {
    completed: [],
    failed: [],
    errors: [],
    counts: { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0, paused: false, 'waiting-children': 0 },
  };
  const worker = new Worker<Data, Result>(queue.name, processor, { ...opts.worker, ...queue.workerOptions, group, autorun: false });

  let settle: (outcome: 'drained' | 'timeout' | Error) => void = () => undefined;
  const ended = new Promise<'drained' | 'timeout' | Error>((resolve) => (settle = resolve));
  // one check at a time; an event during a check asks for one more after it
  let checking = false;
  let again = false;
  const check = async (): Promise<void> => {
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        if (opts.promote) await queue.promoteJobs({ group });
        // promoting: any delayed job or retry is work to run (a retry scheduled between the
        // promotion and this read is seen here, and its failed event checks again)
        if (await queue.isDrained({ group, delayed: opts.promote ? 'all' : 'due' })) return settle('drained');
      } while (again);
    } catch (err) {
      settle(err instanceof Error ? err : new Error(String(err)));
    } finally {
      checking = false;
    }
  };
  worker.on('completed', (job, value) => {
    result.completed.push({ job, result: value });
    void check();
  });
  worker.on('failed', (job, error, willRetry) => {
    result.failed.push({ job, error, willRetry });
    void check();
  });
  worker.on('stalled', () => void check());
  worker.on('error', (err) => result.errors.push(err));

  const timer = setTimeout(() => settle('timeout'), timeoutMs);
  let outcome: 'drained' | 'timeout' | Error;
  try {
    worker.run();
    // the drain's own timer decides when time is up, start-up included: DrainTimeoutError
    const ready = worker.waitUntilReady(timeoutMs + 1_000).then(() => 'ready' as const);
    ready.catch(() => undefined);
    const first = await Promise.race([ready, ended]);
    if (first === 'ready') {
      void check();
      outcome = await ended;
    } else {
      outcome = first;
    }
  } catch (err) {
    outcome = err instanceof Error ? err : new Error(String(err));
  } finally {
    clearTimeout(timer);
    // the worker reports every ack Redis answered before close() resolves: none is missed
    await worker.close({ timeoutMs: 5_000 });
  }
  // (after a failure to start, Redis may be unreachable: the first error is the one to see)
  result.counts = await queue.getJobCounts({ group }).catch((err: unknown) => {
    if (outcome instanceof Error) return result.counts;
    throw err;
  });
  if (outcome === 'timeout') throw new DrainTimeoutError(timeoutMs, result);
  if (outcome instanceof Error) throw outcome;
  return result;
}

/**
 * Runs every delayed job of the queue, and every group's retries waiting out a backoff, now:
 * due times are Redis time, so fake timers cannot move them. Returns how many jobs moved.
 */
export async function promoteAll<Data, Result>(queue: Queue<Data, Result>): Promise<number> {
  const groups = new Set(['default', ...(await queue.getGroups()).map((g) => g.name)]);
  let total = 0;
  for (const group of groups) total += await queue.promoteJobs({ group });
  return total;
}
