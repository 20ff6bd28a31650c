// Turns the user's `connection` option into ioredis clients with the right retry behaviour,
// refuses settings sluice cannot work with, and warns when Redis may evict keys.
import { Redis, type RedisOptions } from 'ioredis';
import { ConnectionConfigError, EvictionPolicyError, InvalidOptionError } from './errors.js';
import type { Logger } from './logger.js';
import { registerScripts } from './scripts.js';

/** A redis:// URL, ioredis options, or an ioredis client (recognised by its shape). */
export type ConnectionInput = string | RedisOptions | Redis;

export type EvictionPolicyMode = 'warn' | 'refuse' | 'ignore';

function isClient(value: unknown): value is Redis {
  const v = value as Partial<Redis> | null;
  return (
    typeof v === 'object' && v !== null &&
    typeof v.duplicate === 'function' && typeof v.defineCommand === 'function' && typeof v.options === 'object'
  );
}

function refuseKeyPrefix(options: { keyPrefix?: string } | undefined): void {
  if (options?.keyPrefix) {
    throw new ConnectionConfigError(
      `ioredis keyPrefix ("${options.keyPrefix}") is not supported: scripts build job keys themselves and would miss it. Remove keyPrefix and pass sluice's own \`prefix\` option instead`,
    );
  }
}

/** An ioredis Cluster client (ioredis marks it with isCluster). */
function isClusterClient(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { isCluster?: unknown }).isCluster === true;
}

/**
 * A client for sluice's own use. `role` picks the retry behaviour: a producer fails fast
 * when Redis is down; a worker keeps retrying. Worker and blocking clients report the commands
 * a dropped connection left unanswered instead of resending them: a resent script call would
 * run twice when its first run had been applied (acks reported lost, leases orphaned). The
 * worker knows which calls those were and settles them itself (see Worker.callFailed).
 */
export function createClient(
  input: ConnectionInput | undefined,
  role: 'producer' | 'worker' | 'blocking',
  name?: string,
): { client: Redis; owned: boolean } {
  const roleOptions: RedisOptions =
    role === 'producer'
      ? { maxRetriesPerRequest: 1 }
      : { maxRetriesPerRequest: null, autoResendUnfulfilledCommands: false };
  // named connections make CLIENT LIST readable (and let fault tests find them)
  if (name) roleOptions.connectionName = name;
  let client: Redis;
  let owned = true;
  if (input === undefined) {
    throw new InvalidOptionError('connection is required: a redis:// URL, ioredis options, or an ioredis client');
  } else if (isClusterClient(input)) {
    // not half-working: a Cluster's duplicate() drops per-role options and CLIENT UNBLOCK
    // would reach a random node (delayed jobs run ~250 ms late); Cluster support comes whole
    throw new ConnectionConfigError(
      'an ioredis Cluster client is not supported yet: Redis Cluster support (with its own tests) is planned; use a standalone Redis, or a primary with replicas',
    );
  } else if (typeof input === 'string') {
    client = new Redis(input, { ...roleOptions, lazyConnect: false });
  } else if (isClient(input)) {
    refuseKeyPrefix(input.options);
    if (role === 'producer') {
      client = input;
      owned = false;
    } else {
      client = input.duplicate(roleOptions);
    }
  } else if (typeof input === 'object' && input !== null) {
    refuseKeyPrefix(input);
    client = new Redis({ ...input, ...roleOptions });
  } else {
    throw new InvalidOptionError('connection must be a redis:// URL, ioredis options, or an ioredis client');
  }
  refuseKeyPrefix(client.options);
  registerScripts(client);
  return { client, owned };
}

/** Invariant 9: evicted keys are lost jobs. CONFIG may be disabled (managed Redis): then say nothing. */
export async function checkEvictionPolicy(client: Redis, mode: EvictionPolicyMode, logger: Logger): Promise<void> {
  if (mode === 'ignore') return;
  let policy: string | undefined;
  try {
    const reply = (await client.call('CONFIG', 'GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply)) policy = String(reply[1]);
    else if (reply && typeof reply === 'object') policy = String((reply as Record<string, unknown>)['maxmemory-policy']);
  } catch (err) {
    // an error reply (CONFIG disabled on managed Redis) is no answer; a connection failure is
    // one, and must not pass for a checked policy
    if ((err as Error)?.name !== 'ReplyError') throw err;
    logger.debug({ err }, 'could not read maxmemory-policy (CONFIG disabled?)');
    return;
  }
  if (!policy || policy === 'noeviction') return;
  if (mode === 'refuse') throw new EvictionPolicyError(policy);
  logger.warn({ policy }, `Redis maxmemory-policy is "${policy}": Redis may evict queue keys, which loses jobs; set it to noeviction`);
}

export async function closeClient(client: Redis, owned: boolean): Promise<void> {
  if (!owned) return;
  // QUIT waits for Redis: while it is unreachable (the command would queue for good), or if it
  // does not answer within a second, the connection is cut instead
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('QUIT got no answer')), 1000);
      }),
    ]);
  } catch {
    client.disconnect();
  } finally {
    clearTimeout(timer);
  }
}

/** Redis' own clock in ms (invariant 4): what cut-offs and first slots are computed from. */
export async function redisNow(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
