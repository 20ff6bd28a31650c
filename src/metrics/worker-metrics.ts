// A worker's metrics: one recorder per partition it consumes (recorder.ts), flushed to Redis
// every `flushMs` (default 5 s) and when the worker closes, with one record-metrics.lua call per
// partition per flush. The first partition's call also carries the worker's heartbeat in its
// group's registry (Queue.getWorkers); a worker with nothing to flush beats every IDLE_BEAT_EVERY
// intervals only (flush-args.ts). A killed worker loses at most one interval of counts
// (never a job); a flush that fails puts its counts back for the next one.
import { hostname } from 'node:os';
import type { Scripts } from '../redis/scripts.js';
import type { WorkerDescription } from './flush-args.js';
import { DEFAULT_FLUSH_MS, flushArgs, type Heartbeat, IDLE_BEAT_EVERY, MISSED_HEARTBEATS, REAP_EVERY } from './flush-args.js';
import { hasCounts, MetricsRecorder } from './recorder.js';

/** What WorkerMetrics needs from its Worker. */
export interface WorkerMetricsOptions {
  /** The worker's id (its registry entry). */
  id: string;
  /** Its name in the registry (WorkerOptions.name, else host:pid). */
  name: string | undefined;
  group: string;
  /** Its concurrency now (Worker.concurrency may change at run time). */
  concurrency(): number;
  flushMs: number | undefined;
  /** Jobs running now. */
  running(): number;
  /** A failed flush (reported as the worker's 'error' event). */
  onError(err: unknown): void;
}

/**
 * The worker's metrics, or undefined with `metrics: false` (`options`: its resolved options;
 * `pool`: its slots, which know how many jobs run).
 */
export function workerMetrics(
  options: { name: string | undefined; metricsFlushMs: number | undefined; concurrency: number },
  id: string,
  group: string,
  pool: { running(): number; readonly concurrency: number },
  onError: (err: unknown) => void,
): WorkerMetrics | undefined {
  if (options.metricsFlushMs === undefined) return undefined;
  const { name, metricsFlushMs: flushMs } = options;
  return new WorkerMetrics({ id, name, group, concurrency: () => pool.concurrency, flushMs, running: () => pool.running(), onError });
}

/** The part of a consumer a flush uses: its scripts and its recorder. */
export interface MeteredConsumer {
  readonly scripts: Scripts;
  readonly metrics?: MetricsRecorder | undefined;
}

/** Flushes a worker's recorders on a timer and on close. */
export class WorkerMetrics {
  private readonly recorders = new Map<number, MetricsRecorder>();
  private consumers: readonly MeteredConsumer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private readonly flushMs: number;
  /** Heartbeats sent, flushes skipped in a row (idle), the last description sent, and when the entry was first written. */
  private beats = 0;
  private skipped = 0;
  private lastSent = '';
  private started: number | undefined;

  constructor(private readonly opts: WorkerMetricsOptions) {
    this.flushMs = opts.flushMs ?? DEFAULT_FLUSH_MS;
  }

  /** The recorder of partition `index` (0 for a queue that is not partitioned). */
  recorder(index: number): MetricsRecorder {
    let r = this.recorders.get(index);
    if (!r) {
      r = new MetricsRecorder();
      this.recorders.set(index, r);
    }
    return r;
  }

  /** Starts the periodic flush over the worker's consumers (the first heartbeat goes at once). */
  start(consumers: readonly MeteredConsumer[]): void {
    this.consumers = consumers;
    void this.flush(false);
    this.timer = setInterval(() => {
      if (this.idleSkip()) return;
      void this.flush(false);
    }, this.flushMs);
    this.timer.unref();
  }

  /** Stops the timer and sends the last counts, removing the worker's registry entry. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.consumers.length > 0) await this.flush(true);
  }

  /**
   * Whether this interval's flush can be left out: nothing counted, the description unchanged,
   * and fewer than IDLE_BEAT_EVERY intervals since the last beat (its entry lives that long × MISSED_HEARTBEATS).
   */
  private idleSkip(): boolean {
    const quiet = this.consumers.every((c) => c.metrics?.quiet ?? true) && this.describe() === this.lastSent;
    if (quiet && this.skipped < IDLE_BEAT_EVERY - 1) {
      this.skipped++;
      return true;
    }
    this.skipped = 0;
    return false;
  }

  /** One flush: one script call per partition that has counts (the first one always: the heartbeat). */
  flush(leaving: boolean): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = Promise.all(this.consumers.map((c, i) => this.flushOne(c, i === 0 ? this.heartbeat(leaving) : undefined))).then(
      () => undefined,
      () => undefined,
    );
    void this.flushing.finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOne(consumer: MeteredConsumer, heartbeat: Heartbeat | undefined): Promise<void> {
    const recorder = consumer.metrics;
    if (!recorder) return;
    const counts = recorder.take();
    if (!heartbeat && !hasCounts(counts)) return;
    try {
      const now = await consumer.scripts.recordMetrics(this.opts.group, heartbeat?.id ?? '', flushArgs(counts, heartbeat));
      if (heartbeat && !heartbeat.leaving) this.started ??= now;
    } catch (err) {
      recorder.putBack(counts);
      this.opts.onError(err);
    }
  }

  private heartbeat(leaving: boolean): Heartbeat {
    const description = this.description();
    this.lastSent = JSON.stringify(description);
    return {
      id: this.opts.id,
      description,
      started: this.started,
      reap: this.beats++ % REAP_EVERY === 0,
      ttlMs: Math.max(1_000, MISSED_HEARTBEATS * IDLE_BEAT_EVERY * this.flushMs),
      leaving,
    };
  }

  private description(): WorkerDescription {
    const host = hostname();
    return {
      name: this.opts.name ?? `${host}:${process.pid}`,
      host,
      pid: process.pid,
      group: this.opts.group,
      concurrency: this.opts.concurrency(),
      running: this.opts.running(),
    };
  }

  private describe(): string {
    return JSON.stringify(this.description());
  }
}
