// The job a sandboxed processor receives, inside its worker thread or child process: the
// job's fields as data, and the calls that need the parent's Redis connection and lease
// (progress, logs, a longer lease), which travel to the parent and back.
import type { JobsOptions } from '../job/job-options.js';
import type { ProcessorContext } from '../worker/worker-api.js';
import type { SandboxCallMethod, SandboxJobFields } from './protocol.js';

/**
 * The job a sandboxed processor file receives (`new Worker(name, file, { sandbox })`): the same
 * fields as {@link Job}, and the calls a running job may make. The rest of Job's methods (state,
 * retry, remove…) are the parent's and a Queue's business.
 *
 * @typeParam Data - the job's data.
 */
export interface SandboxedJob<Data = unknown> {
  readonly queueName: string;
  readonly group: string;
  readonly id: string;
  readonly name: string;
  readonly data: Data;
  readonly opts: JobsOptions;
  /** When the job was added (ms, Redis time). */
  readonly timestamp: number;
  /** Failed attempts before this one. */
  readonly attemptsMade: number;
  /** How many times the job has been delivered, this delivery included. */
  readonly deliveries: number;
  /** How many of its deliveries ended with a lease that ran out. */
  readonly stalls: number;
  /** When this delivery was leased (ms, Redis time). */
  readonly processedOn: number | undefined;
  /** The last progress reported. */
  readonly progress: unknown;
  /** The lease token of this delivery. */
  readonly token: string | undefined;
  /** As {@link Job.updateProgress}: stored in Redis and published as a `progress` event. */
  updateProgress(progress: number | object): Promise<void>;
  /** As {@link Job.log}: appends a line to the job's log; resolves with the number of lines. */
  log(line: string): Promise<number>;
  /** As {@link Job.extendLease}: this delivery's lease, to `ms` from now (renewed at that length from then on). */
  extendLease(ms: number): Promise<void>;
}

/**
 * What a sandboxed processor file exports (as its default export, or as `module.exports` in
 * CommonJS): called with each job and the same context as an in-process processor. Its
 * signal aborts on a timeout, a lost lease or the worker's close; a processor that ignores it
 * is stopped after the sandbox's `killAfterMs`.
 *
 * @typeParam Data - the job's data.
 * @typeParam Result - what it returns: the job's `returnvalue`.
 */
export type SandboxedProcessor<Data = unknown, Result = unknown> = (
  job: SandboxedJob<Data>,
  ctx: ProcessorContext,
) => Promise<Result> | Result;

/** Builds the child's job; `call` sends a call to the parent and resolves with its answer. */
export function sandboxedJob(
  fields: SandboxJobFields,
  call: (method: SandboxCallMethod, args: unknown[]) => Promise<unknown>,
): SandboxedJob {
  const job = {
    ...fields,
    opts: fields.opts as JobsOptions,
    async updateProgress(progress: number | object): Promise<void> {
      await call('updateProgress', [progress]);
      job.progress = progress;
    },
    async log(line: string): Promise<number> {
      return (await call('log', [line])) as number;
    },
    async extendLease(ms: number): Promise<void> {
      await call('extendLease', [ms]);
    },
  };
  return job;
}
