// Turns what Redis and ioredis reject with into sluice's typed errors (each keeps the original
// as `cause`), so that callers branch on a stable code instead of on ioredis' message text.
// Used at the Queue's public boundary (guardRedisErrors) and for the worker's 'error' events.
import type { Redis } from 'ioredis';
import { RedisCommandError, RedisOutOfMemoryError, RedisReadOnlyError, RedisUnavailableError, SluiceError } from '../errors.js';
import { redactCredentials } from './credentials.js';

/** Errors of the socket that say the server cannot be reached. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/**
 * Codes of TLS failures (Node's and OpenSSL's): the server's certificate is not trusted, has
 * expired or names another host, or TLS was spoken to a plain port. Reconnecting will not cure them.
 */
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_|HOSTNAME_MISMATCH)/;
/** Handshake replies that reconnecting will not cure: a wrong password or user, a missing one. */
const REFUSED_LOGIN = new Set(['WRONGPASS', 'NOAUTH']);

/** Error replies that mean "not now" rather than "never": the server is starting, busy or failing over. */
const NOT_NOW_REPLIES = new Set(['LOADING', 'BUSY', 'MASTERDOWN', 'CLUSTERDOWN', 'TRYAGAIN']);

/**
 * Error replies Redis gives before running a command (or, for a script, before its first
 * write: Redis checks OOM and READONLY there, and a script that fails them has written
 * nothing). A command refused with one of these certainly changed nothing.
 */
const REFUSED_BEFORE_WRITING = new Set(['OOM', 'READONLY', 'NOSCRIPT', 'NOAUTH', ...NOT_NOW_REPLIES]);

// ioredis' own errors carry no code: these are its names and fixed messages (ioredis 6)
const MAX_RETRIES = 'MaxRetriesPerRequestError';
const CLUSTER_ALL_FAILED = 'ClusterAllFailedError';
/** What an ioredis Cluster rejects with when no seed node answers. */
const NO_STARTUP_NODES = 'None of startup nodes is available';
/** A Cluster gave up following redirections (a slot without a master, mid-failover). */
const TOO_MANY_REDIRECTIONS = 'Too many Cluster redirections.';
const CONNECTION_CLOSED = 'Connection is closed.';
const NOT_WRITABLE = "Stream isn't writeable and enableOfflineQueue options is false";
const COMMAND_TIMEOUT = 'Command timed out';
/**
 * Redis Cluster, while a queue's slot migrates: a script touched a key it did not declare that
 * is not on this node. Redis aborts the script there, without undoing what it wrote before; no
 * sluice script writes before it can meet this (see certainlyNotApplied).
 */
const NON_LOCAL_KEY = 'Script attempted to access a non local key';
/** Cluster replies that send a request elsewhere or ask for it later: it did not run. */
const REDIRECTIONS = new Set(['MOVED', 'ASK', 'TRYAGAIN', 'CLUSTERDOWN']);
/** Redirections a Cluster gave up following, where no attempt can have run (markClusterGiveUp). */
const gaveUpUnrun = new WeakSet<Error>();

/** The last connection error each client reported, to say why it is unreachable. */
const lastConnectionError = new WeakMap<Redis, Error>();
/** How many times each tracked client became ready: commands queued offline are written then. */
const readyCount = new WeakMap<Redis, number>();
const errorsTracked = new WeakSet<Redis>();

/**
 * Follows a client's connection: counts its 'ready' events (see sendProbe) and, with
 * `errors`, remembers its last connection error (cleared once ready again), so that an
 * unreachable Redis is reported with why (ECONNREFUSED, a DNS failure, a TLS error...).
 * `errors` adds an 'error' listener, which silences ioredis' own report: only for clients
 * sluice owns. Installs each listener once per client.
 */
export function trackConnection(client: Redis, opts: { errors: boolean }): void {
  if (!readyCount.has(client)) {
    readyCount.set(client, 0);
    client.on('ready', () => {
      readyCount.set(client, (readyCount.get(client) ?? 0) + 1);
      lastConnectionError.delete(client);
    });
  }
  if (opts.errors && !errorsTracked.has(client)) {
    errorsTracked.add(client);
    client.on('error', (err: Error) => lastConnectionError.set(client, err));
  }
}

/**
 * Call just before sending a command; after it failed, the returned function tells whether
 * it was certainly never written: the client was not ready when it was sent (so ioredis
 * queued it offline) and has not become ready since (so it never left the queue). False when
 * unknown, or when the client is not tracked (trackConnection).
 */
export function sendProbe(client: Redis): () => boolean {
  const queuedOffline = client.status !== 'ready';
  const readies = readyCount.get(client);
  return () => queuedOffline && readies !== undefined && readyCount.get(client) === readies;
}

/** Where the client connects to, for messages: host:port, a socket path, or a Sentinel master. */
export function redisAddress(client: Redis | undefined): string {
  const o = (client?.options ?? {}) as { host?: string; port?: number; path?: string; sentinels?: unknown[]; name?: string };
  if (o.path) return o.path;
  if (Array.isArray(o.sentinels) && o.sentinels.length > 0)
    return `the master "${o.name ?? 'mymaster'}" of ${o.sentinels.length} Sentinel(s)`;
  if (o.host !== undefined || o.port !== undefined) return `${o.host ?? 'localhost'}:${o.port ?? 6379}`;
  // a Cluster: its seed nodes, as host:port only (a seed URL's password must not show)
  const seeds = (client as unknown as { startupNodes?: unknown[] } | undefined)?.startupNodes;
  if (Array.isArray(seeds) && seeds.length > 0) return `Cluster(${seeds.map(seedAddress).join(', ')})`;
  return '(unknown address)';
}

/** The error code of a Redis error reply (its first word: OOM, READONLY, ERR...), else undefined. */
function replyCode(err: Error): string | undefined {
  if (err.name !== 'ReplyError') return undefined;
  return /^[A-Z][A-Z_-]*/.exec(err.message)?.[0] ?? 'ERR';
}

function isUnreachable(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    err.name === MAX_RETRIES ||
    err.name === CLUSTER_ALL_FAILED ||
    err.message === NO_STARTUP_NODES ||
    err.message.startsWith(TOO_MANY_REDIRECTIONS) ||
    err.message === CONNECTION_CLOSED ||
    err.message === NOT_WRITABLE ||
    (typeof code === 'string' && NETWORK_CODES.has(code))
  );
}

/**
 * The typed error for a failure of a Redis command: RedisUnavailableError (unreachable,
 * connection dropped, timed out, loading), RedisOutOfMemoryError (OOM), RedisReadOnlyError
 * (READONLY: a replica, after a failover), RedisCommandError (any other error reply). The
 * original is the `cause`. A SluiceError, and anything that is not a Redis failure (a bug,
 * a user callback's throw), is returned unchanged. Idempotent.
 */
export function wrapRedisError(err: Error, client: Redis | undefined): Error;
export function wrapRedisError(err: unknown, client: Redis | undefined): unknown;
export function wrapRedisError(err: unknown, client: Redis | undefined): unknown {
  redactCredentials(err);
  if (err instanceof SluiceError || !(err instanceof Error)) return err;
  const address = redisAddress(client);
  if (isTlsFailure(err))
    return new RedisUnavailableError(address, `refused the TLS connection (${err.message}; ${tlsCode(err)})`, { cause: err });
  const code = replyCode(err);
  if (code === 'OOM') return new RedisOutOfMemoryError(address, { cause: err });
  if (code === 'READONLY') return new RedisReadOnlyError(address, { cause: err });
  if ((code !== undefined && NOT_NOW_REPLIES.has(code)) || err.message.includes(NON_LOCAL_KEY))
    return new RedisUnavailableError(address, `cannot serve commands now (${err.message})`, { cause: err });
  if (code !== undefined) return new RedisCommandError(address, code, err.message, { cause: err });
  if (slotMoving(err))
    return new RedisUnavailableError(address, `cannot serve commands now: the queue's slot is moving to another master (${err.message})`, {
      cause: err,
    });
  if (err.message === COMMAND_TIMEOUT)
    return new RedisUnavailableError(address, 'did not answer within the command timeout', { cause: err });
  if (isUnreachable(err)) {
    const status = client ? `connection status "${client.status}"` : 'no connection';
    const last = client && lastConnectionError.get(client);
    const why = last && last !== err ? `; last connection error: ${last.message}` : '';
    return new RedisUnavailableError(address, `is unreachable (${status}${why})`, { cause: err });
  }
  return err;
}

function tlsCode(err: Error): string {
  return String((err as { code?: unknown }).code ?? '');
}

function isTlsFailure(err: Error): boolean {
  return TLS_FAILURE.test(tlsCode(err));
}

/**
 * Calls `report` with the first connection error of an outage that reconnecting will not cure
 * (an untrusted TLS certificate, a refused password, a Cluster's slot map refused to the ACL
 * user), once until the client is ready again.
 * Other connection errors stay quiet: a worker waits for Redis to come back by design, but a
 * worker that can never connect must say so rather than wait in silence.
 */
export function reportLastingRefusals(client: Redis, report: (err: Error) => void): void {
  let reported = false;
  client.on('ready', () => {
    reported = false;
  });
  client.on('error', (err: Error) => {
    const refusal = lastingRefusal(err);
    if (reported || !refusal) return;
    reported = true;
    report(refusal);
  });
}

/**
 * The refusal in `err` that reconnecting will not cure: an untrusted certificate, a refused
 * login, or, when a Cluster could not load its slot map from any node, the last node's
 * refusal (those two, or NOPERM: an ACL user without `cluster|slots`, named by the reply).
 */
export function lastingRefusal(err: Error): Error | undefined {
  const code = replyCode(err);
  if (isTlsFailure(err) || (code !== undefined && REFUSED_LOGIN.has(code))) return err;
  const node: unknown = err.name === CLUSTER_ALL_FAILED ? (err as { lastNodeError?: unknown }).lastNodeError : undefined;
  return node instanceof Error && replyCode(node) === 'NOPERM' ? node : node instanceof Error ? lastingRefusal(node) : undefined;
}

/**
 * True when the failed command certainly changed nothing: Redis refused it before it ran (or
 * before a script's first write), or it was never sent. False when that is unknown (its reply
 * was lost with the connection, or a script failed part-way). Takes the original or the
 * wrapped error.
 *
 * While a queue's slot migrates (Redis Cluster resharding), a call is refused with TRYAGAIN,
 * or redirected until the Cluster gives up (markClusterGiveUp), or a script stops at a key it
 * did not declare ("non local key"). Redis does not undo a script's writes before that point,
 * but no sluice script has any: each one that writes a key it does not declare also declares
 * the never-written wake anchor, so Redis refuses it whole while the slot migrates, and the
 * others touch undeclared keys only by reads before their first write (lua/README.md, "While
 * the queue's slot migrates"; test/cluster/reshard-atomicity.test.ts checks every script).
 */
export function certainlyNotApplied(err: unknown): boolean {
  const raw = err instanceof SluiceError && err.cause instanceof Error ? err.cause : err;
  if (!(raw instanceof Error)) return false;
  const code = replyCode(raw);
  if (code !== undefined && REFUSED_BEFORE_WRITING.has(code)) return true;
  if (code !== undefined && raw.message.includes(NON_LOCAL_KEY)) return true;
  return raw.message === NOT_WRITABLE || gaveUpUnrun.has(raw);
}

/**
 * The reply that made a Cluster give up following redirections ("Too many Cluster redirections.
 * Last error: …"), as its code (TRYAGAIN, MOVED, …), or NON_LOCAL_KEY; undefined for any other error.
 */
function lastRedirection(err: Error): string | undefined {
  if (!err.message.startsWith(TOO_MANY_REDIRECTIONS)) return undefined;
  const last = /Last error: (?:\w*Error: )?([\s\S]*)$/.exec(err.message)?.[1] ?? '';
  if (last.includes(NON_LOCAL_KEY)) return NON_LOCAL_KEY;
  return /^[A-Z][A-Z_-]*/.exec(last)?.[0];
}

/**
 * Call with what a Cluster's command rejected with. A Cluster retries a command only after a
 * redirection (MOVED, ASK, TRYAGAIN, CLUSTERDOWN: it did not run) or, with
 * `retryDelayOnFailover` > 0, after its connection closed (it may have run). When it gave up
 * on a refusal and does not resend after a closed connection (the worker's Cluster, see
 * connection.ts), no attempt ran: certainlyNotApplied says so. Returns `err`.
 */
export function markClusterGiveUp(err: unknown, client: Redis): unknown {
  if (!(err instanceof Error)) return err;
  const last = lastRedirection(err);
  const resends = (client.options as { retryDelayOnFailover?: number } | undefined)?.retryDelayOnFailover !== 0;
  const refusal = last !== undefined && (REDIRECTIONS.has(last) || REFUSED_BEFORE_WRITING.has(last) || last === NON_LOCAL_KEY);
  if (refusal && !resends) gaveUpUnrun.add(err);
  return err;
}

/**
 * Whether a call failed because its queue's slot is moving to another master (Cluster
 * resharding): TRYAGAIN, a redirection given up, a script stopped at a key that has moved. The
 * move takes as long as its keys take to migrate; the caller retries within a few hundred ms.
 */
export function slotMoving(err: unknown): boolean {
  const raw = err instanceof SluiceError && err.cause instanceof Error ? err.cause : err;
  if (!(raw instanceof Error)) return false;
  const code = replyCode(raw) ?? lastRedirection(raw);
  return code === 'TRYAGAIN' || code === 'ASK' || code === 'MOVED' || raw.message.includes(NON_LOCAL_KEY);
}

/**
 * Makes every method of a class report Redis failures as typed errors (wrapRedisError on what
 * its promise rejects with): the public boundary in one place, including methods added later.
 * Synchronous throws are left alone (ioredis fails only through promises).
 */
export function guardRedisErrors<T extends object>(cls: { prototype: T }, clientOf: (self: T) => Redis | undefined): void {
  const proto = cls.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    const original = descriptor?.value as unknown;
    if (name === 'constructor' || typeof original !== 'function') continue;
    const guarded = function (this: T, ...args: unknown[]): unknown {
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (!(result instanceof Promise)) return result;
      return result.catch((err: unknown) => {
        throw wrapRedisError(err, clientOf(this));
      });
    };
    Object.defineProperty(guarded, 'name', { value: name });
    Object.defineProperty(proto, name, { ...descriptor, value: guarded });
  }
}

/** host:port of a Cluster seed (a URL, a port, or { host, port }); never its credentials. */
function seedAddress(seed: unknown): string {
  if (typeof seed === 'number') return `localhost:${seed}`;
  if (typeof seed === 'string') {
    try {
      const url = new URL(seed.includes('://') ? seed : `redis://${seed}`);
      return `${url.hostname}:${url.port || 6379}`;
    } catch {
      return '(a seed)';
    }
  }
  const o = (seed ?? {}) as { host?: string; port?: number };
  return `${o.host ?? 'localhost'}:${o.port ?? 6379}`;
}
