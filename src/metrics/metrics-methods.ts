// The Queue's metrics methods (docs/metrics.md): per-minute history, the live worker registry
// and the Prometheus text of the queue, installed on Queue's prototype by Queue itself and typed
// by interface merging there (as the scheduler methods are). Also wraps add/addBulk to count
// backpressure rejections (rejections.ts). Reads sum the partitions of a partitioned queue.
import { checkOptionNames } from '../validate.js';
import { declareFamilies, writeQueueMetrics } from './exposition.js';
import type { WorkerInfo } from './metrics-store.js';
import { PrometheusText } from './prometheus.js';
import { type GetMetricsOptions, liveWorkers, type MetricsHistory, metricsHistory } from './queue-metrics.js';
import { countRejections } from './rejections.js';
import type { Queue } from '../queue/queue.js';

/** Queue's metrics methods. */
export interface QueueMetricsMethods {
  /**
   * Jobs completed (or, with `'failed'`, failed for good) per minute, newest minute first, for
   * the last 24 hours at most, as the group's workers recorded them (Redis time). A worker
   * sends its counts every few seconds, so the current minute fills in as they flush.
   * @param type - `'completed'` or `'failed'` (dead-lettered).
   * @param opts - `group` (default `'default'`); `start`/`end`: minutes back from now (0 is the
   * current minute; `end` inclusive, -1 or left out: the oldest kept).
   * @throws {InvalidOptionError} a wrong type or range.
   */
  getMetrics(type: 'completed' | 'failed', opts?: GetMetricsOptions): Promise<MetricsHistory>;
  /**
   * The live workers of the queue (of one group with `group`), from their last heartbeat: a
   * worker beats with each metrics flush (every 5 s by default) and is dropped a few missed
   * heartbeats after it died. Workers with `metrics: false` are not listed.
   */
  getWorkers(opts?: { group?: string }): Promise<WorkerInfo[]>;
  /** The queue's metrics in the Prometheus text exposition format (docs/metrics.md). */
  metrics(): Promise<string>;
}

const methods: QueueMetricsMethods & ThisType<Queue> = {
  async getMetrics(type, opts = {}) {
    checkOptionNames('getMetrics options', opts, ['group', 'start', 'end'] as const);
    return metricsHistory(this, type, opts);
  },
  async getWorkers(opts = {}) {
    checkOptionNames('getWorkers options', opts, ['group'] as const);
    return liveWorkers(this, opts);
  },
  async metrics() {
    const text = new PrometheusText();
    declareFamilies(text);
    await writeQueueMetrics(text, this.name, this);
    return text.toString();
  },
};

/** Installs the metrics methods on Queue's prototype (before it is routed to partitions). */
export function addMetricsMethods(cls: { prototype: object }): void {
  Object.assign(cls.prototype, methods);
  countRejections(cls.prototype as Record<string, unknown>);
}
