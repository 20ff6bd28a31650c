// What one worker saw happen to the jobs of one queue (or one partition) since its last metrics
// flush, counted in memory: completions, retries, dead letters, stalls, time held by the rate
// limit, and the wait- and processing-time histograms. The worker's consumer feeds it through
// tap() (its events) and two hooks; WorkerMetrics (worker-metrics.ts) takes the counts and sends
// them to Redis every few seconds. Nothing here calls Redis: the hot path pays no command.
import type { Job } from '../job/job.js';
import { addHistogram, emptyHistogram, type Histogram, observe } from './histogram.js';

/** Counts aggregated between two flushes. */
export interface MetricsCounts {
  completed: number;
  /** Failed attempts that will be retried. */
  retried: number;
  /** Jobs failed for good (dead-lettered). */
  dead: number;
  /** Expired leases reclaimed. */
  stalled: number;
  /** ms the worker was held by the group's rate limit. */
  limitedMs: number;
  /** Wait times (ms): from when the job was ready to run to its lease. */
  wait: Histogram;
  /** Processing times (ms): the processor's run. */
  processing: Histogram;
}

/** Counts of nothing. */
export function emptyCounts(): MetricsCounts {
  return { completed: 0, retried: 0, dead: 0, stalled: 0, limitedMs: 0, wait: emptyHistogram(), processing: emptyHistogram() };
}

/** Whether `c` holds anything to flush. */
export function hasCounts(c: MetricsCounts): boolean {
  if (c.completed + c.retried + c.dead + c.stalled + c.limitedMs > 0) return true;
  return c.wait.counts.some((n) => n > 0) || c.processing.counts.some((n) => n > 0);
}

/** The events a consumer reports that the recorder counts (a subset of the Worker's). */
export interface CountedEvents {
  /** A job starts running. */
  // biome-ignore lint/suspicious/noExplicitAny: any Job type
  active(job: Job<any, any>): void;
  /** Redis confirmed a job's completion. */
  // biome-ignore lint/suspicious/noExplicitAny: any Job type
  completed(job: Job<any, any>, result: any): void;
  /** An attempt failed: retried, or failed for good (`job` undefined: failed by Redis, not run here). */
  // biome-ignore lint/suspicious/noExplicitAny: any Job type
  failed(job: Job<any, any> | undefined, error: Error, willRetry: boolean): void;
  /** An expired lease was reclaimed. */
  stalled(jobId: string): void;
}

// Times noted on the job object itself, under symbols only this file knows: a job handed back
// leaves nothing behind, and unlike a WeakMap entry per job (an ephemeron the garbage collector
// must trace), a property costs nothing extra to collect. With two WeakMaps, the recorder took
// about 7% of a concurrency-100 worker's busy time in a CPU profile.
/** When the job started running (performance.now()). */
const STARTED = Symbol('sluice.metrics.started');
/** How long the job ran, noted when it succeeded (its completion is confirmed later). */
const RAN_MS = Symbol('sluice.metrics.ranMs');
type Timed = { [STARTED]?: number; [RAN_MS]?: number };

/** One worker's in-memory metrics of one queue or partition, between flushes. */
export class MetricsRecorder {
  private counts = emptyCounts();
  /** Since when the group's rate limit holds this consumer (performance.now()); undefined: not held. */
  private limitedSince: number | undefined;

  /** Wraps a consumer's events so that each is counted before it is passed on. */
  tap<E extends CountedEvents>(events: E): E {
    return {
      ...events,
      active: (job) => {
        this.started(job);
        events.active(job);
      },
      completed: (job, result) => {
        this.completedJob(job);
        events.completed(job, result);
      },
      failed: (job, error, willRetry) => {
        this.failedJob(job, willRetry);
        events.failed(job, error, willRetry);
      },
      stalled: (jobId) => {
        this.counts.stalled++;
        events.stalled(jobId);
      },
    };
  }

  /**
   * A job starts: its wait is counted. The ready time is when it was added, plus its delay;
   * only a first delivery has one the worker knows (a retry's or a reclaimed job's due time is
   * not in the lease reply), so redeliveries count no wait. Both times are Redis time.
   */
  // biome-ignore lint/suspicious/noExplicitAny: any Job type
  started(job: Job<any, any>): void {
    (job as Timed)[STARTED] = performance.now();
    if (job.deliveries <= 1 && job.attemptsMade === 0 && job.processedOn !== undefined && job.timestamp > 0) {
      const delay = typeof job.opts.delay === 'number' && job.opts.delay > 0 ? job.opts.delay : 0;
      observe(this.counts.wait, job.processedOn - (job.timestamp + delay));
    }
  }

  /** The processor returned: its run time is noted now, counted when Redis confirms the ack. */
  succeeded(job: object): void {
    const start = (job as Timed)[STARTED];
    if (start !== undefined) (job as Timed)[RAN_MS] = performance.now() - start;
  }

  private completedJob(job: object): void {
    this.counts.completed++;
    const ms = (job as Timed)[RAN_MS] ?? this.sinceStart(job);
    if (ms !== undefined) observe(this.counts.processing, ms);
  }

  private failedJob(job: object | undefined, willRetry: boolean): void {
    if (willRetry) this.counts.retried++;
    else this.counts.dead++;
    // undefined: a job Redis failed without running it here (stalled too often, malformed)
    const ms = job === undefined ? undefined : this.sinceStart(job);
    if (ms !== undefined) observe(this.counts.processing, ms);
  }

  private sinceStart(job: object): number | undefined {
    const start = (job as Timed)[STARTED];
    return start === undefined ? undefined : performance.now() - start;
  }

  /** A lease reply: whether the group's rate limit holds the consumer now (time held is summed). */
  leaseReply(limitedNow: boolean): void {
    if (limitedNow) this.limitedSince ??= performance.now();
    else if (this.limitedSince !== undefined) {
      this.counts.limitedMs += performance.now() - this.limitedSince;
      this.limitedSince = undefined;
    }
  }

  /** Nothing to flush: no counts since the last take, and not held by the rate limit now. */
  get quiet(): boolean {
    return this.limitedSince === undefined && !hasCounts(this.counts);
  }

  /** The counts since the last take (the time held so far included), and a fresh start. */
  take(): MetricsCounts {
    const taken = this.counts;
    if (this.limitedSince !== undefined) {
      const now = performance.now();
      taken.limitedMs += now - this.limitedSince;
      this.limitedSince = now;
    }
    taken.limitedMs = Math.round(taken.limitedMs);
    this.counts = emptyCounts();
    return taken;
  }

  /** Counts taken for a flush that failed: added back, to go with the next one. */
  putBack(c: MetricsCounts): void {
    const into = this.counts;
    into.completed += c.completed;
    into.retried += c.retried;
    into.dead += c.dead;
    into.stalled += c.stalled;
    into.limitedMs += c.limitedMs;
    addHistogram(into.wait, c.wait);
    addHistogram(into.processing, c.processing);
  }
}
