// Errors about what the caller passed or how sluice is set up: options, payloads, ids,
// connections, Redis's eviction policy. Nothing was written when one is thrown.
import { SluiceError } from './sluice-error.js';

/** An option or argument has a wrong type or value. Nothing was written. Code `INVALID_OPTION`. */
export class InvalidOptionError extends SluiceError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/**
 * An options object has a key sluice does not know (a misspelling, or an option of something
 * else). Nothing was written. Code `INVALID_OPTION` (it is an {@link InvalidOptionError}).
 */
export class UnknownOptionError extends InvalidOptionError {
  /** The unknown key, with its path for a nested one ("limiter.maxx"). */
  readonly option: string;
  /** The nearest known option (same path), when one is close enough to be a misspelling. */
  readonly suggestion: string | undefined;
  /** Every option that object takes (same path). */
  readonly known: string[];
  constructor(where: string, option: string, suggestion: string | undefined, known: string[]) {
    super(`unknown option "${option}" in ${where}${suggestion ? `: did you mean "${suggestion}"?` : '.'} Known: ${known.join(', ')}`);
    this.option = option;
    this.suggestion = suggestion;
    this.known = known;
  }
}

/**
 * Job data (or a result, or progress) cannot be stored as JSON faithfully (a function, a
 * BigInt, NaN, a cycle...). Nothing was written. Code `INVALID_PAYLOAD`.
 */
export class InvalidPayloadError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_PAYLOAD', message, options);
  }
}

/**
 * Job data (or progress) exceeds the `maxPayloadBytes` of the Queue (or Worker). Nothing was
 * written. Code `PAYLOAD_TOO_LARGE`.
 */
export class PayloadTooLargeError extends SluiceError {
  /** The size of the value, in bytes of JSON. */
  readonly size: number;
  /** The limit it went over (`maxPayloadBytes`). */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      'PAYLOAD_TOO_LARGE',
      `job data is ${size} bytes as JSON, over the limit of ${limit} bytes; ` +
        'store large blobs elsewhere and pass a reference, or raise maxPayloadBytes',
    );
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A queue name, job id, job name, group name or scheduler key is not acceptable. Nothing was
 * written. Code `INVALID_ID`.
 */
export class InvalidIdError extends SluiceError {
  constructor(message: string) {
    super('INVALID_ID', message);
  }
}

/**
 * The Redis connection is configured in a way sluice cannot work with (an ioredis `keyPrefix`,
 * or a Cluster client); thrown by the Queue, Worker and QueueEvents constructors.
 * Code `CONNECTION_CONFIG`.
 */
export class ConnectionConfigError extends SluiceError {
  constructor(message: string) {
    super('CONNECTION_CONFIG', message);
  }
}

/**
 * Redis may evict keys (maxmemory-policy is not noeviction) and the Queue or Worker was told
 * to refuse (`evictionPolicy: 'refuse'`). Code `EVICTION_POLICY`.
 */
export class EvictionPolicyError extends SluiceError {
  constructor(policy: string) {
    super(
      'EVICTION_POLICY',
      `Redis maxmemory-policy is "${policy}": Redis may evict queue keys, which loses jobs. ` +
        'Set "maxmemory-policy noeviction" (CONFIG SET or redis.conf), ' +
        "or pass evictionPolicy: 'warn' to accept the risk",
    );
  }
}

/**
 * The queue's number of partitions, as recorded in Redis, is not the one this Queue, Worker or
 * QueueEvents was built with, or a queue that already holds jobs without partitions was asked
 * for some. The number of partitions of a live queue cannot change: docs/partitions.md says how
 * to move to another number. Nothing was written. Code `PARTITIONS_MISMATCH`.
 */
export class PartitionsMismatchError extends SluiceError {
  /** The number recorded in Redis (1: the queue is not partitioned). */
  readonly recorded: number;
  constructor(message: string, recorded: number) {
    super('PARTITIONS_MISMATCH', message);
    this.recorded = recorded;
  }
}
