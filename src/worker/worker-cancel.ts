// Worker.cancelJob / cancelAllJobs: stop jobs this worker runs, at once (queue.cancelJob reaches
// a job wherever it runs, at the holder's next lease renewal). The job's signal is aborted with
// JobCancelledError and its attempt fails for good (job-runner.ts). Installed on Worker's
// prototype by Worker and typed by interface merging there.
import type { PartitionConsumer } from './partition-consumer.js';
import { installMethods } from '../install-methods.js';

/** Worker's methods to cancel the jobs it runs. */
export interface WorkerCancelMethods {
  /**
   * Cancels a job this worker is running: its processor's `signal` is aborted with a
   * `JobCancelledError`, and the job fails for good with `reason` (no retry). To reach a job
   * whichever worker runs it, use `queue.cancelJob`.
   * @returns false when this worker does not run the job.
   */
  cancelJob(jobId: string, reason?: string): boolean;
  /** Cancels every job this worker is running, as cancelJob does; returns how many. */
  cancelAllJobs(reason?: string): number;
}

type Inside = { consumers: PartitionConsumer<unknown, unknown>[] };

const methods: WorkerCancelMethods & ThisType<Inside> = {
  cancelJob(jobId, reason = 'cancelled') {
    return this.consumers.some((c) => c.runner.cancel(jobId, String(reason)));
  },
  cancelAllJobs(reason = 'cancelled') {
    let n = 0;
    for (const c of this.consumers) for (const id of c.runner.runningIds()) if (c.runner.cancel(id, String(reason))) n++;
    return n;
  },
};

/** Installs cancelJob and cancelAllJobs on Worker's prototype. */
export function addCancelMethods(cls: { prototype: object }): void {
  installMethods(cls, methods);
}
