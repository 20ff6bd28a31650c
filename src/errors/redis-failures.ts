// Redis failures, as typed errors. Each keeps the ioredis error as `cause`;
// src/redis/redis-errors.ts maps ioredis errors to them. AddBulkError reports a bulk add that
// Redis cut short.
import type { Job } from '../job/job.js';
import { SluiceError } from './sluice-error.js';

/**
 * Redis cannot be reached or did not answer (down, unreachable, connection dropped, command
 * timeout, still loading). The command was not run, or it ran and its reply was lost.
 * Code `REDIS_UNAVAILABLE`.
 */
export class RedisUnavailableError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  constructor(address: string, problem: string, options: { cause: unknown }) {
    super(
      'REDIS_UNAVAILABLE',
      `Redis at ${address} ${problem}. The command was not run, or its reply was lost (then a write may have been applied). ` +
        'Check that Redis is running and reachable at that address; sluice reconnects by itself, so retry once it is back ' +
        '(a jobId makes a retried add safe)',
      options,
    );
    this.address = address;
  }
}

/**
 * Redis is over its maxmemory and refuses writes (maxmemory-policy noeviction). Nothing was
 * written. Code `REDIS_OOM`.
 */
export class RedisOutOfMemoryError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  constructor(address: string, options: { cause: unknown }) {
    super(
      'REDIS_OOM',
      `Redis at ${address} is out of memory: its used memory is over maxmemory, ` +
        'so it refused the write and nothing was written. ' +
        'Let workers drain the queue (finished jobs are removed by their retention), ' +
        'clean finished jobs, or raise maxmemory; then add again',
      options,
    );
    this.address = address;
  }
}

/**
 * Redis is a read-only replica (typically after a failover demoted it). Nothing was written.
 * Code `REDIS_READONLY`.
 */
export class RedisReadOnlyError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  constructor(address: string, options: { cause: unknown }) {
    super(
      'REDIS_READONLY',
      `Redis at ${address} is a read-only replica and refused the write, so nothing was written. After a failover, ` +
        'connect to the new master (through Sentinel, or a client that follows failovers) and retry',
      options,
    );
    this.address = address;
  }
}

/**
 * Durable mode (the Queue's `durability`): the write was applied on the master, but
 * fewer replicas than asked confirmed it within the timeout (`WAIT`), so a failover to a
 * replica may lose it. It is NOT undone: retrying an add with the same `jobId` is safe (the
 * retry finds the job and waits for the replicas again). Code `REPLICATION_TIMEOUT`.
 */
export class ReplicationTimeoutError extends SluiceError {
  /** host:port (or socket path, or the Sentinel master) of the Redis. */
  readonly address: string;
  /** Replicas asked for. */
  readonly replicas: number;
  /** Replicas that confirmed the write within the timeout. */
  readonly acknowledged: number;
  /** How long the replicas were waited for (ms). */
  readonly timeoutMs: number;
  /**
   * `unconfirmedBecause` replaces "only n of the m replicas confirmed it within t ms" when the
   * replicas could not be asked at all (the connection dropped between the write and its WAIT).
   */
  constructor(address: string, replicas: number, acknowledged: number, timeoutMs: number, unconfirmedBecause?: string) {
    const why = unconfirmedBecause ?? `only ${acknowledged} of the ${replicas} replica(s) asked for confirmed it within ${timeoutMs} ms`;
    super(
      'REPLICATION_TIMEOUT',
      `Redis at ${address}: the write IS applied on the master, but ${why}, so a failover may still lose it. ` +
        'Retrying with the same jobId is safe (the job is not added twice); ' +
        'check the replicas (INFO replication) or lower durability.replicas',
    );
    this.address = address;
    this.replicas = replicas;
    this.acknowledged = acknowledged;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * Redis refused a command with an error reply not covered by the classes above (such as
 * NOPERM or WRONGTYPE). Code `REDIS_COMMAND`.
 */
export class RedisCommandError extends SluiceError {
  /** host:port (or socket path) of the Redis. */
  readonly address: string;
  /** The reply's error code, its first word (ERR, WRONGTYPE, NOSCRIPT, NOPERM, ...). */
  readonly redisCode: string;
  constructor(address: string, redisCode: string, reply: string, options: { cause: unknown }) {
    super('REDIS_COMMAND', `Redis at ${address} refused a command: ${reply}`, options);
    this.address = address;
    this.redisCode = redisCode;
  }
}

/**
 * addBulk failed part-way (its cause says why): it says exactly which jobs were added, which
 * were not, and which are unknown (sent, but the reply was lost: they may have been added).
 * Every input index is in exactly one of the three. Code `ADD_BULK_INCOMPLETE`.
 */
export class AddBulkError extends SluiceError {
  /** The Job objects of the inputs that were added (or existed), in input order. */
  readonly added: Job[];
  /** Indexes (into addBulk's input) of the jobs that were not added: safe to add again. */
  readonly notAdded: number[];
  /** Indexes of the jobs whose outcome is unknown: check (by jobId) before adding them again. */
  readonly unknown: number[];
  constructor(total: number, added: Job[], notAdded: number[], unknown: number[], cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'ADD_BULK_INCOMPLETE',
      `addBulk did not finish: ${added.length} of ${total} jobs were added (added), ${notAdded.length} were not (notAdded)` +
        (unknown.length ? `, and ${unknown.length} may or may not have been (unknown: their reply was lost)` : '') +
        `; add only the notAdded ones again. Cause: ${reason}`,
      { cause },
    );
    this.added = added;
    this.notAdded = notAdded;
    this.unknown = unknown;
  }
}
