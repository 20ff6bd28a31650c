// A connection description another thread can use: what a worker's helper thread (the lease
// guard, src/worker/lease-guard.ts) connects with. Threads share no objects, so a client the
// user passed in is described by its options, and functions (a retryStrategy, a TLS identity
// check, a custom Connector) are left out: the thread's connection uses ioredis' defaults for
// them. undefined when the description still cannot cross to a thread.
import type { ConnectionInput } from './connection.js';
import { isClusterClient } from './cluster.js';

/** The connection as plain data (structured-cloneable), or undefined. */
export function cloneableConnection(input: ConnectionInput | undefined): ConnectionInput | undefined {
  if (input === undefined) return undefined;
  let plain: unknown;
  if (typeof input === 'string') plain = input;
  else if (isClusterClient(input)) {
    const seeds = (input as unknown as { startupNodes?: unknown }).startupNodes;
    plain = { ...(withoutFunctions(input.options) as object), cluster: withoutFunctions(seeds) };
  } else if (isRedisClient(input)) plain = withoutFunctions(input.options);
  else plain = withoutFunctions(input);
  try {
    return structuredClone(plain) as ConnectionInput;
  } catch {
    return undefined;
  }
}

function isRedisClient(value: unknown): value is { options: object } {
  return typeof value === 'object' && value !== null && typeof (value as { duplicate?: unknown }).duplicate === 'function';
}

/** A copy of plain objects and arrays without their function-valued fields (Buffers kept). */
function withoutFunctions(value: unknown, depth = 0): unknown {
  if (typeof value === 'function' || depth > 8) return undefined;
  if (Array.isArray(value)) return value.map((v) => withoutFunctions(v, depth + 1));
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const kept = withoutFunctions(v, depth + 1);
    if (kept !== undefined) out[k] = kept;
  }
  return out;
}
