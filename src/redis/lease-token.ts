// Lease tokens name the worker that holds them. A lease call's nonce is the worker's tag (the
// random end of its id, `host:pid:tag`), a `~`, and random bytes of its own; the call's k-th
// job gets the token `nonce.k` (lease.lua). The random part keeps tokens of two workers apart
// even if their tags collide, so fencing never depends on the tag; the tag only lets explain()
// say which worker holds a job, by matching it against the group's worker registry.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** A new worker id, `host:pid:tag`: the tag (6 hex digits) is what its lease tokens begin with. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** The part of a worker's id its lease tokens begin with (its last `:` segment). */
export function workerTagOf(workerId: string): string {
  return workerId.slice(workerId.lastIndexOf(':') + 1);
}

// Random bytes for nonces, drawn 4 KiB at a time: a lease call is the hot path, and one
// randomBytes call costs several µs (a lease call's whole client-side cost is a few tens).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** `n` fresh random bytes (n <= 4096), base64url. */
export function randomText(n: number): string {
  if (poolAt + n > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolAt = 0;
  }
  poolAt += n;
  return pool.toString('base64url', poolAt - n, poolAt);
}

/** A new lease-call nonce for the worker with tag `tag`. */
export function leaseNonce(tag: string): string {
  return `${tag}~${randomText(6)}`;
}

/**
 * The worker tag a job's token (field `tk`) begins with; undefined for an empty token or one
 * of a version that did not tag its tokens. A completed job's token has a leading `=`.
 */
export function tokenWorkerTag(token: string | null | undefined): string | undefined {
  const match = /^=?([0-9a-f]{6})~/.exec(token ?? '');
  return match?.[1];
}
