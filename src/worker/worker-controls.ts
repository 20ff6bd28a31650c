// What Worker.pause()/resume(), the run-time concurrency and health() do to the worker's parts:
// the slot pool (slot-pool.ts: the pause and the concurrency live there) and each partition's
// consumer (its loop, settlement and runner). The Worker (worker.ts) owns the state and emits
// the events; this file does not decide when to pause, nor lease anything.
import type { Redis } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import type { PartitionConsumer } from './partition-consumer.js';
import type { SlotPool } from './slot-pool.js';
import type { WorkerHealth, WorkerState } from './worker-api.js';

/** The parts of a consumer the controls use. */
type Consumer<D, R> = Pick<PartitionConsumer<D, R>, 'loop' | 'settlement' | 'runner' | 'blocking'>;

/**
 * Stops leasing: no slot is free any more, a blocking read is ended (its connection kept; a
 * wake-up it took goes back to the marker, for another worker), and the jobs leased ahead and not started are handed back
 * at once, without using an attempt. Calls in flight hand back what they lease (worker-loop.ts).
 */
export async function pauseConsumers<D, R>(pool: SlotPool, consumers: readonly Consumer<D, R>[]): Promise<void> {
  pool.paused = true;
  for (const c of consumers) c.loop.stopBlocking();
  await Promise.all(consumers.map((c) => c.settlement.handBack(c.loop.takeBuffered(), false)));
}

/** Waits until the jobs running now have finished and their outcomes are settled with Redis. */
export async function whenRunningSettled<D, R>(pool: SlotPool, consumers: readonly Consumer<D, R>[]): Promise<void> {
  await pool.whenNoneRunning();
  await Promise.all(consumers.map((c) => c.settlement.flush()));
  await Promise.all(consumers.map((c) => c.runner.whenSettled()));
}

/** Leases again: every loop parked for want of a slot is woken. */
export function resumeConsumers<D, R>(pool: SlotPool, consumers: readonly Consumer<D, R>[]): void {
  pool.paused = false;
  for (const c of consumers) c.loop.resumeNow();
}

/** Checks a concurrency given at run time; returns it. */
export function checkConcurrency(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(`concurrency must be an integer >= 1; got ${String(value)}`);
  }
  return value;
}

/** Sets the pool's concurrency; a raise starts jobs leased ahead and wakes the loops to lease more. */
export function changeConcurrency<D, R>(pool: SlotPool, consumers: readonly Consumer<D, R>[], value: number): void {
  const raised = value > pool.concurrency;
  pool.concurrency = value;
  // a lowered concurrency starts no job until fewer than `value` run (startBuffered, fill)
  if (raised && !pool.paused) {
    pool.slotFreed();
    for (const c of consumers) c.loop.resumeNow();
  }
}

/** What health() reports, from the worker's state, connections and consumers. */
export function workerHealth<D, R>(
  state: WorkerState,
  client: Redis,
  blocking: Redis,
  pool: SlotPool,
  all: readonly Consumer<D, R>[],
): WorkerHealth {
  const blockingReady = all.length === 0 ? blocking.status === 'ready' : all.every((c) => c.blocking.status === 'ready');
  return {
    state,
    // healthy means Redis answers: a fetch or blocking read overdue past the watchdog is not (a
    // paused worker neither calls nor blocks, so it stays healthy while its connections do)
    healthy: state === 'running' && client.status === 'ready' && blockingReady && !all.some((c) => c.loop.isOverdue()),
    paused: pool.paused,
    connection: client.status,
    blockingConnection: blocking.status,
    lastFetchAgeMs: all.length === 0 ? 0 : Math.max(...all.map((c) => c.loop.lastAnswerAgeMs())),
    activeJobs: pool.running(),
    prefetched: sum(all, (c) => c.loop.prefetched),
    processed: sum(all, (c) => c.settlement.completed),
    failed: sum(all, (c) => c.runner.failures),
  };
}

/** The sum of `f` over `items`. */
function sum<T>(items: readonly T[], f: (item: T) => number): number {
  let n = 0;
  for (const item of items) n += f(item);
  return n;
}
