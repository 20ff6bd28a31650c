// The configuration the runner hands its child processes (a worker or a producer), as JSON in
// the CHAOS_CHILD environment variable, and the messages they send back over IPC.
import type { ConnectionInput, DurabilityOptions } from '../../src/index.js';

/** What the processor of a chaos worker returns: which process and which delivery ran the job. */
export interface ChaosResult {
  pid: number;
  token: string;
  delivery: number;
}

/** The data of a chaos job: its producer's sequence number and how long it runs. */
export interface ChaosJobData {
  seq: number;
  ms: number;
  /** Filler, to make the payload `payloadBytes` long (scenario maxmemory). */
  pad?: string;
  /** The add's delay (ms), when it has one: the job is due at its timestamp + delay (Redis time). */
  delay?: number;
}

/** Where the queue's Redis is when it is more than one server (failover scenarios), and how the queue is spread. */
export interface Topology {
  /** A Redis Cluster: the seed URLs (the connection then, `url` being one of them). */
  cluster?: string[];
  /** A master behind sentinels: ioredis's sentinel options (the connection then; `url` is not used). */
  sentinel?: { sentinels: { host: string; port: number }[]; name: string };
  /** The queue's number of partitions (docs/partitions.md). */
  partitions?: number;
}

export interface QueueAddress extends Topology {
  /** The queue's redis-server. */
  url: string;
  prefix: string;
  queue: string;
  /** The recorder redis-server that holds the history. */
  recorderUrl: string;
}

/** A child whose wall clock is off (lib/skew-clock.ts): by `clockOffsetMs`, stepping by `byMs` `afterMs` after it started. */
export interface ClockConfig {
  clockOffsetMs?: number;
  clockStep?: { afterMs: number; byMs: number };
}

export interface WorkerChildConfig extends QueueAddress, ClockConfig {
  concurrency: number;
  leaseMs: number;
  /** The processor runs to its end even after its lease was lost (its late ack is then refused). */
  ignoreAbort: boolean;
  /** Each attempt throws with this probability (default 0). */
  failRate?: number;
  /** The consumer group (default: the default group); recorded on start, done, failed and lost records. */
  group?: string;
  /** The group's rate limit (the Worker's `limiter` option). */
  limiter?: { max: number; duration: number };
}

export interface ProducerChildConfig extends QueueAddress, ClockConfig {
  /** Jobs to add, with sequence numbers firstSeq, firstSeq + 1, … */
  count: number;
  firstSeq: number;
  /** Adds per second (0: as fast as the adds are acknowledged, 50 at a time). */
  rate: number;
  /** Each job runs a random time in [msMin, msMax]. */
  msMin: number;
  msMax: number;
  /** Ordered jobs: job `seq` gets orderingKey `k<seq mod keys>`. */
  keys?: number;
  /** The jobs' attempts and fixed backoff (ms). */
  attempts?: number;
  backoffMs?: number;
  /** Each job's data is padded to about this many bytes. */
  payloadBytes?: number;
  /** Each job is delayed a random time in [0, delayMsMax] ms (its due time is recorded with the add). */
  delayMsMax?: number;
  /**
   * Add until Redis refuses (maxmemory): the paced adds stop after `refusals` refused adds, then
   * one addBulk of `bulk` jobs, then one add every `probeEveryMs` until `probes` in a row were accepted.
   */
  untilRefused?: { refusals: number; bulk: number; probeEveryMs: number; probes: number };
  /** The durable mode of the producer's Queue: each add waits for that many replicas (docs/production.md). */
  durability?: DurabilityOptions;
  /** This share of the jobs is added with a random delay in [1, delayMaxMs] ms. */
  delayRate?: number;
  delayMaxMs?: number;
  /** Adds come in bursts: what the rate allows is added at the start of every burstMs. */
  burstMs?: number;
  /** Retention in place of `false` (keep every final state): the job options' removeOnComplete / removeOnFail. */
  removeOnComplete?: boolean | number | { count?: number; age?: number };
  removeOnFail?: boolean | number | { count?: number; age?: number };
}

/** IPC from a child: `ready` once it runs, `done` when a producer finished (with its counts). */
export type ChildMessage = { t: 'ready'; pid: number } | { t: 'done'; added: number; rejected: number };

/** What Queue and Worker take as `connection` for this address: the cluster seeds, the sentinels, or the URL. */
export function connectionOf(address: QueueAddress): ConnectionInput {
  if (address.cluster) return address.cluster;
  if (address.sentinel) return { sentinels: address.sentinel.sentinels, name: address.sentinel.name };
  return address.url;
}

/** The Queue and Worker options that say how the queue is spread (none unless partitioned). */
export function spreadOf(address: QueueAddress): { partitions?: number } {
  return address.partitions ? { partitions: address.partitions } : {};
}

export function readChildConfig<T>(): T {
  const raw = process.env.CHAOS_CHILD;
  if (!raw) throw new Error('CHAOS_CHILD is not set: this file is forked by chaos/run.ts, not run by hand');
  return JSON.parse(raw) as T;
}
