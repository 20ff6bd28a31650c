// queue.cancelJob: stop a running job from any process. It leaves a request on the job's
// record (lua/cancel-job.lua) that the worker holding the job's lease reads at its next renewal
// (a third of its lease), whichever process that is; the worker then aborts the processor's
// signal and fails the attempt for good. Installed on Queue's prototype by Queue and typed by
// interface merging there.
import { METHOD_OPTION_NAMES as NAMES, groupOf, methodOptions, type GroupOption } from './queue-options.js';
import { queueInternals } from './queue-internals.js';
import type { Queue } from './queue.js';
import { ControlScripts } from '../redis/control-scripts.js';
import { installMethods } from '../install-methods.js';

/** Queue's method to cancel a running job. */
export interface QueueCancelMethods {
  /**
   * Cancels a running job of the group (default group unless given), wherever it runs: the
   * worker holding it learns of it at its next lease renewal (within a third of its `leaseMs`),
   * aborts the processor's `signal` with a `JobCancelledError`, and the job fails for good with
   * `reason` (no retry; `job.retry()` runs it again). A worker's own jobs can be cancelled at
   * once with `worker.cancelJob`.
   * @returns true when the job was running (the request is on its way), false when it was not.
   */
  cancelJob(jobId: string, reason?: string, opts?: GroupOption): Promise<boolean>;
}

const methods: QueueCancelMethods & ThisType<Queue> = {
  async cancelJob(jobId, reason = 'cancelled', opts = {}) {
    methodOptions('cancelJob', opts, NAMES.group);
    if (typeof jobId !== 'string' || jobId === '' || /\s/.test(jobId)) return false; // no such job
    const q = queueInternals(this);
    await q.waitUntilReady();
    return new ControlScripts(q.client, q.keys).cancelJob(groupOf(opts), jobId, String(reason));
  },
};

/** Installs cancelJob on Queue's prototype. */
export function addCancelMethod(cls: { prototype: object }): void {
  installMethods(cls, methods);
}
