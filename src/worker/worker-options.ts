// A worker's options, validated and resolved to their defaults in one place (the constructor
// only wires the parts together).
import type { EvictionPolicyMode } from '../redis/connection.js';
import { InvalidOptionError } from '../errors.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_REMOVE_ON_FAIL, EVICTION_MODES, keepPolicy } from '../job/job-options.js';
import { checkOptionNames, positiveInt, shown, validateChoice, validatePartitions, validatePrefix, waitOptionMs } from '../validate.js';
import { validateRateLimit, type GroupLimits } from '../flow-control/rate-limit.js';
import { resolveTelemetry, type ResolvedTelemetry } from '../telemetry/telemetry-options.js';
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
  /** The queue's number of partitions as given (undefined: read from Redis). */
  partitions: number | undefined;
  /** The worker's name in the registry (undefined: host:pid). */
  name: string | undefined;
  /** The metrics flush interval (ms); undefined: metrics off. */
  metricsFlushMs: number | undefined;
  /** Tracing (telemetry option): off, or the tracer to use. */
  telemetry: ResolvedTelemetry;
  /** The lease guard's longest renewal of a blocked loop (ms); undefined: no guard (leaseGuard false, or a sandbox). */
  leaseGuardMaxMs: number | undefined;
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
  'partitions',
  'name',
  'metrics',
  'telemetry',
  'sandbox',
  'leaseGuard',
] as const;
const RATE_LIMIT_NAMES = ['max', 'duration'] as const;

/** The lease guard's default longest renewal of a blocked event loop (ms). */
export const LEASE_GUARD_MAX_MS = 300_000;

/** `sandboxed`: the processor is a file run in a sandbox, whose event loop is never blocked by a job. */
export function resolveWorkerOptions(opts: WorkerOptions, sandboxed = false): ResolvedWorkerOptions {
  if (!opts || typeof opts !== 'object') throw new InvalidOptionError('Worker options with a connection are required');
  checkOptionNames('Worker options', opts, WORKER_OPTION_NAMES);
  checkOptionNames('Worker options', opts.limiter, RATE_LIMIT_NAMES, 'limiter.');
  checkOptionNames('Worker options', opts.keyLimiter, RATE_LIMIT_NAMES, 'keyLimiter.');
  validatePrefix(opts.prefix);
  if (opts.autorun !== undefined && typeof opts.autorun !== 'boolean')
    throw new InvalidOptionError(`autorun must be true or false; got ${shown(opts.autorun)}`);
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
  const partitions = validatePartitions(opts.partitions);
  return {
    partitions,
    ...metricsOptions(opts),
    telemetry: resolveTelemetry(opts.telemetry),
    leaseGuardMaxMs: sandboxed ? undefined : leaseGuardMaxMs(opts.leaseGuard),
    concurrency,
    maxPrefetch: positiveInt('prefetch', opts.prefetch, Math.min(1000, Math.max(100, 2 * concurrency)), 0),
    leaseMs,
    blockMs: waitOptionMs('blockMs', opts.blockMs, 5_000),
    watchdogGraceMs: waitOptionMs('watchdogGraceMs', opts.watchdogGraceMs, 5_000),
    maxPayloadBytes: positiveInt('maxPayloadBytes', opts.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES),
    evictionMode: validateChoice('evictionPolicy', opts.evictionPolicy, EVICTION_MODES) ?? 'warn',
    limits,
    aheadMs: aheadLeaseMs(leaseMs),
    leaseConfigJson: JSON.stringify({
      leaseMs,
      aheadMs: aheadLeaseMs(leaseMs),
      maxStalls,
      keepFailed: keepPolicy(undefined, DEFAULT_REMOVE_ON_FAIL),
      blockMs: waitOptionMs('blockMs', opts.blockMs, 5_000),
    }),
  };
}

/** The `name` and `metrics` options: a name of 1-200 characters; false, or { flushMs } of 100 ms or more. */
function metricsOptions(opts: WorkerOptions): { name: string | undefined; metricsFlushMs: number | undefined } {
  if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.length === 0 || opts.name.length > 200))
    throw new InvalidOptionError(`name must be a string of 1 to 200 characters; got ${shown(opts.name)}`);
  const metrics = opts.metrics;
  if (metrics === false) return { name: opts.name, metricsFlushMs: undefined };
  if (metrics !== undefined && (typeof metrics !== 'object' || metrics === null))
    throw new InvalidOptionError(`metrics must be false or { flushMs }; got ${shown(metrics)}`);
  checkOptionNames('Worker options', metrics, ['flushMs'] as const, 'metrics.');
  return { name: opts.name, metricsFlushMs: waitOptionMs('metrics.flushMs', metrics?.flushMs, 5_000, 100) };
}

/** The `leaseGuard` option: true (the default), false, or { maxBlockedMs } of 1 s to a day. */
function leaseGuardMaxMs(option: WorkerOptions['leaseGuard']): number | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return LEASE_GUARD_MAX_MS;
  if (typeof option !== 'object' || option === null)
    throw new InvalidOptionError(`leaseGuard must be true, false or { maxBlockedMs }; got ${shown(option)}`);
  checkOptionNames('Worker options', option, ['maxBlockedMs'] as const, 'leaseGuard.');
  return waitOptionMs('leaseGuard.maxBlockedMs', option.maxBlockedMs, LEASE_GUARD_MAX_MS, 1000);
}

/** The longest wait a timer can hold (about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** close()'s timeoutMs, checked: a number of ms >= 0 (longer than a timer holds, less `graceMs`: clamped). */
export function closeTimeout(opts: { timeoutMs?: number } | undefined, graceMs: number): number {
  const ms = opts?.timeoutMs ?? 30_000;
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new InvalidOptionError(`close({ timeoutMs }) must be a number of ms >= 0; got ${shown(ms)}`);
  }
  return Math.min(ms, MAX_TIMER_MS - graceMs);
}

/**
 * The first lease of a job leased ahead (prefetched, waiting in the worker's buffer): a sixth of
 * the lease, at least 1 s, so that a killed worker's leased-ahead jobs are delivered again that
 * much sooner; the worker renews them at that pace while it holds them.
 */
export function aheadLeaseMs(leaseMs: number): number {
  return Math.min(leaseMs, Math.max(1000, Math.floor(leaseMs / 6)));
}

/** Time Redis gets to settle a closing worker's jobs, beyond close()'s timeout. */
export const CLOSE_GRACE_MS = 5_000;
