// What the script wrappers (scripts.ts) take that is more than a string or a number: the acks
// and failures a worker settles, the jobs an add sends. Their
// replies, decoded, are in script-results.ts.
import type { Arg } from './script-caller.js';

export interface Ack {
  id: string;
  token: string;
  returnvalue: string;
  keep: [number, number];
  /** Sent before in a call that got no answer: Redis may have applied it (see complete.lua). */
  resent?: boolean;
}

export interface FailOutcome {
  retry: boolean;
  delayMs: number;
  reason: string;
  stack: string;
  keep: [number, number];
  /** An ordered job waiting for its retry lets its key's later jobs go (releaseKeyOnRetry). */
  releaseKey?: boolean;
  /** Not a failure: the job runs again after delayMs without using an attempt (DelayedError). */
  defer?: boolean;
}

export interface EnqueueItem {
  id: string;
  name: string;
  data: string;
  opts: string;
  /** '' for a plain job, else the JSON schedule (see enqueue.lua). */
  schedule: string;
}

/** ARGV count of lease/complete: "count", or "count:slots" when some jobs are leased ahead. */
export function countArg(count: number, slots: number): Arg {
  return slots < count ? `${count}:${Math.max(0, slots)}` : count;
}
