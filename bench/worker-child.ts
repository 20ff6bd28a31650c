// The worker process of the bench (forked by scenarios; never run by hand). It runs one
// library's worker with a no-op processor and reports, when `expected` jobs have completed:
// the time from the parent's 'start' until then, its own CPU time (process.cpuUsage), the
// steady-state rate between 10% and 90% of completions, and — with `latency` — the
// percentiles of (processor start − add time) from the job data; for a delayed job (data.d)
// of its lateness, processor start − (add time + delay). With `notify` it tells the parent of
// every completion (the low-load scenario's one job in flight); on the parent's 'mark' it counts
// time and CPU from then, and on 'finish' it reports at once (the idle scenario, no job count).
import { childConfig, sendToParent, serveChild } from './lib/protocol.js';
import type { RedisAddress } from './lib/redis-server.js';
import { LatencyRecorder, type LatencySummary } from './lib/stats.js';
import { loadAdapter, type LibName, type Retention, type WorkerHandle } from './adapters/types.js';

export interface WorkerChildConfig {
  lib: LibName;
  redis: RedisAddress;
  queue: string;
  concurrency: number;
  expected: number;
  retention: Retention;
  latency: boolean;
  /** The jobs are delayed: the library's worker must run delayed jobs. */
  delayed?: boolean;
  limiter?: { max: number; duration: number };
  /** Report every job's start time as the library recorded it (processedOn, ms). */
  starts?: boolean;
  /** sluice only: connect to this Redis Cluster (seed URLs) instead of `redis`. */
  cluster?: string[];
  /** sluice only: the queue's number of partitions (the Worker's `partitions` option). */
  partitions?: number;
  /** sluice: the Worker's prefetch (see WorkerSpec.prefetch). */
  prefetch?: number;
  /** An idle worker's block time per call (see WorkerSpec.blockMs). */
  blockMs?: number;
  /** Send the parent a 'completed' message per job. */
  notify?: boolean;
  /** Time and CPU count from 'running' (the worker connected), leaving out its start-up. */
  measureFromRunning?: boolean;
}

export interface WorkerChildResult {
  completed: number;
  failed: number;
  elapsedMs: number;
  cpuUs: number;
  /** Jobs/s between the 10% and the 90% completion marks. */
  steadyRate: number;
  latency?: LatencySummary;
  starts?: number[];
}

const config = childConfig<WorkerChildConfig>();
const adapter = await loadAdapter(config.lib);
if ((config.cluster || config.partitions) && config.lib !== 'sluice') throw new Error(`${config.lib}: no cluster/partitions in the bench`);
const recorder = config.latency ? new LatencyRecorder() : undefined;
const low = Math.max(1, Math.floor(config.expected * 0.1));
const high = Math.max(low + 1, Math.floor(config.expected * 0.9));
let worker: WorkerHandle | undefined;
let completed = 0;
let failed = 0;
let t0 = 0;
let tLow = 0;
let tHigh = 0;
let cpu0: NodeJS.CpuUsage | undefined;
let reported = false;
const startTimes: number[] | undefined = config.starts ? [] : undefined;

function finish(): void {
  if (reported) return;
  reported = true;
  const now = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const result: WorkerChildResult = {
    completed,
    failed,
    elapsedMs: now - t0,
    cpuUs: cpu.user + cpu.system,
    steadyRate: ((high - low) / (tHigh - tLow)) * 1000,
    latency: recorder?.summary(),
    starts: startTimes,
  };
  sendToParent({ type: 'done', result });
}

serveChild({
  async onStart() {
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    worker = await adapter.worker(config.redis, config.queue, {
      concurrency: config.concurrency,
      retention: config.retention,
      delayed: config.delayed,
      limiter: config.limiter,
      cluster: config.cluster,
      partitions: config.partitions,
      prefetch: config.prefetch,
      blockMs: config.blockMs,
      onStart: (data, recordedStart) => {
        recorder?.record(performance.timeOrigin + performance.now() - data.t - (data.d ?? 0));
        startTimes?.push(recordedStart ?? performance.timeOrigin + performance.now());
      },
      onCompleted: () => {
        completed++;
        if (completed === low) tLow = performance.now();
        if (completed === high) tHigh = performance.now();
        if (config.notify) sendToParent({ type: 'completed' });
        if (completed === config.expected) finish();
      },
      onFailed: (err) => {
        failed++;
        if (failed <= 3) console.error(`bench worker (${config.lib}): ${err.message}`);
      },
    });
    if (config.measureFromRunning) {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    sendToParent({ type: 'running' });
  },
  async onStop() {
    await worker?.close();
  },
  onMessage(msg) {
    if (msg.type === 'finish') finish();
    if (msg.type === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
  },
});
