// A worker's options, validated and resolved to their defaults in one place (the constructor
// only wires the parts together).
import type { EvictionPolicyMode } from '../redis/connection.js';
import { InvalidOptionError } from '../errors.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_REMOVE_ON_FAIL, EVICTION_MODES, keepPolicy } from '../job/job-options.js';
import { checkOptionNames, positiveInt, validateChoice, validatePrefix } from '../validate.js';
import { validateRateLimit, type GroupLimits } from '../flow-control/rate-limit.js';
import type { WorkerOptions } from './worker-api.js';

export interface ResolvedWorkerOptions {
  concurrency: number;
  maxPrefetch: number;
  leaseMs: number;
  blockMs: number;
  watchdogGraceMs: number;
  maxPayloadBytes: number;
  evictionMode: EvictionPolicyMode;
  /** The group's flow-control settings this worker writes when it starts, if it has any. */
  limits: GroupLimits | undefined;
  /** The lease script's configuration as JSON text: lease lengths, stall limit, fallback failed retention, block time. */
  leaseConfigJson: string;
  /** The first lease of jobs leased ahead of their start (see aheadLeaseMs). */
  aheadMs: number;
}

const WORKER_OPTION_NAMES = [
  'connection',
  'prefix',
  'group',
  'limiter',
  'keyConcurrency',
  'keyLimiter',
  'concurrency',
  'prefetch',
  'leaseMs',
  'maxStalls',
  'blockMs',
  'watchdogGraceMs',
  'backoffStrategies',
  'autorun',
  'maxPayloadBytes',
  'evictionPolicy',
  'logger',
] as const;
const RATE_LIMIT_NAMES = ['max', 'duration'] as const;

export function resolveWorkerOptions(opts: WorkerOptions): ResolvedWorkerOptions {
  if (!opts || typeof opts !== 'object') throw new InvalidOptionError('Worker options with a connection are required');
  checkOptionNames('Worker options', opts, WORKER_OPTION_NAMES);
  checkOptionNames('Worker options', opts.limiter, RATE_LIMIT_NAMES, 'limiter.');
  checkOptionNames('Worker options', opts.keyLimiter, RATE_LIMIT_NAMES, 'keyLimiter.');
  validatePrefix(opts.prefix);
  if (opts.autorun !== undefined && typeof opts.autorun !== 'boolean')
    throw new InvalidOptionError(`autorun must be true or false; got ${String(opts.autorun)}`);
  const concurrency = positiveInt('concurrency', opts.concurrency, 1);
  const leaseMs = positiveInt('leaseMs', opts.leaseMs, 30_000, 50);
  const maxStalls = positiveInt('maxStalls', opts.maxStalls, 3, 0);
  let limits: GroupLimits | undefined;
  if (opts.limiter !== undefined || opts.keyConcurrency !== undefined || opts.keyLimiter !== undefined) {
    limits = {
      limiter: opts.limiter === undefined ? undefined : validateRateLimit(opts.limiter),
      keyConcurrency: opts.keyConcurrency === undefined ? undefined : positiveInt('keyConcurrency', opts.keyConcurrency, 1),
      keyLimiter: opts.keyLimiter === undefined ? undefined : validateRateLimit(opts.keyLimiter, 'keyLimiter'),
    };
  }
  return {
    concurrency,
    maxPrefetch: positiveInt('prefetch', opts.prefetch, Math.min(1000, Math.max(100, 2 * concurrency)), 0),
    leaseMs,
    blockMs: positiveInt('blockMs', opts.blockMs, 5_000),
    watchdogGraceMs: positiveInt('watchdogGraceMs', opts.watchdogGraceMs, 5_000),
    maxPayloadBytes: positiveInt('maxPayloadBytes', opts.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES),
    evictionMode: validateChoice('evictionPolicy', opts.evictionPolicy, EVICTION_MODES) ?? 'warn',
    limits,
    aheadMs: aheadLeaseMs(leaseMs),
    leaseConfigJson: JSON.stringify({
      leaseMs,
      aheadMs: aheadLeaseMs(leaseMs),
      maxStalls,
      keepFailed: keepPolicy(undefined, DEFAULT_REMOVE_ON_FAIL),
      blockMs: positiveInt('blockMs', opts.blockMs, 5_000),
    }),
  };
}

/**
 * The first lease of a job leased ahead (prefetched, waiting in the worker's buffer): a sixth of
 * the lease, at least 1 s, so that a killed worker's leased-ahead jobs are delivered again that
 * much sooner; the worker renews them at that pace while it holds them.
 */
export function aheadLeaseMs(leaseMs: number): number {
  return Math.min(leaseMs, Math.max(1000, Math.floor(leaseMs / 6)));
}
