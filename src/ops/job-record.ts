// A job as the operator tools show it whole — the CLI's `sluice job --json` and the dashboard's
// job page (which adds its logs, timeline and explanation): every field of its record in plain
// JSON, times in ms since the epoch and null where not set.
import type { Job } from '../job/job.js';

/** A job's whole record, as plain JSON. */
export interface JobRecord {
  /** Its id. */
  id: string;
  /** The group whose record this is. */
  group: string;
  /** Its state now, or `unknown`. */
  state: string;
  /** Its name. */
  name: string;
  /** Its data. */
  data: unknown;
  /** Its options. */
  opts: unknown;
  /** When it was added (ms). */
  timestamp: number;
  /** Failed attempts. */
  attemptsMade: number;
  /** Times it was leased. */
  deliveries: number;
  /** Times its lease ran out. */
  stalls: number;
  /** Its progress. */
  progress: unknown;
  /** What its processor returned, once completed. */
  returnvalue: unknown;
  /** Its latest failure, or null. */
  failedReason: string | null;
  /** The latest failure's stack lines. */
  stacktrace: string[];
  /** When its latest attempt started (ms), or null. */
  processedOn: number | null;
  /** When it finished (ms), or null. */
  finishedOn: number | null;
}

/** The job's record in state `state`. */
export function jobRecord(job: Job, state: string): JobRecord {
  return {
    id: job.id,
    group: job.group,
    state,
    name: job.name,
    data: job.data,
    opts: job.opts,
    timestamp: job.timestamp,
    attemptsMade: job.attemptsMade,
    deliveries: job.deliveries,
    stalls: job.stalls,
    progress: job.progress,
    returnvalue: job.returnvalue ?? null,
    failedReason: job.failedReason ?? null,
    stacktrace: job.stacktrace,
    processedOn: job.processedOn ?? null,
    finishedOn: job.finishedOn ?? null,
  };
}
