// Turns the user's `connection` option into ioredis clients with the right retry behaviour,
// refuses settings sluice cannot work with, and warns when Redis may evict keys.
import { type Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import { ConnectionConfigError, EvictionPolicyError, InvalidOptionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { asCluster, type ClusterConnectionOptions, isClusterClient, isClusterOptions, newCluster } from './cluster.js';
import { registerScripts } from './script-registry.js';
import { giveUpQueuedCalls } from './cluster-unavailable.js';
import { endOnPurpose, reviveWhenEnded } from './revival.js';

/**
 * Where Redis is: a `redis://` (or `rediss://` for TLS) URL, ioredis options (optionally with a
 * `url`), or an ioredis client, recognised by its shape. A Redis Cluster: an ioredis `Cluster`,
 * cluster options with the seed nodes under `cluster`, or an array of `redis://` seed URLs.
 *
 * A Queue uses a client you pass as it is (your retry settings, your connection), and leaves it
 * open on close(). Workers and QueueEvents make their own connections from it with
 * `duplicate()`, with two settings forced because their loops rely on them: they retry for as
 * long as Redis is down, and they do not resend commands a dropped connection left unanswered.
 * For a URL or options, a Queue fills in only what you left unset: calls wait through an outage
 * of up to about 10 s, then reject with RedisUnavailableError.
 *
 * @example
 * ```ts
 * new Queue('orders', { connection: 'redis://127.0.0.1:6379' });
 * new Queue('orders', { connection: { host: 'redis.internal', port: 6380, password } });
 * new Queue('orders', { connection: new Redis(process.env.REDIS_URL) }); // your own ioredis client
 * new Queue('orders', { connection: ['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379'] }); // Redis Cluster seeds
 * new Queue('orders', { connection: { cluster: ['redis://10.0.0.1:6379'], redisOptions: { password } } });
 * ```
 */
export type ConnectionInput = string | (RedisOptions & { url?: string }) | Redis | Cluster | ClusterConnectionOptions | string[];

/**
 * What to do when Redis's `maxmemory-policy` lets it evict keys (evicted keys are lost jobs):
 * log a warning, refuse to start (EvictionPolicyError), or say nothing.
 */
export type EvictionPolicyMode = 'warn' | 'refuse' | 'ignore';

function isClient(value: unknown): value is Redis {
  const v = value as Partial<Redis> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.duplicate === 'function' &&
    typeof v.defineCommand === 'function' &&
    typeof v.options === 'object'
  );
}

function refuseKeyPrefix(options: { keyPrefix?: string } | undefined): void {
  if (options?.keyPrefix) {
    throw new ConnectionConfigError(
      `ioredis keyPrefix ("${options.keyPrefix}") is not supported: scripts build job keys themselves and would miss it. ` +
        "Remove keyPrefix and pass sluice's own `prefix` option instead",
    );
  }
}

/** Reconnections a producer's call waits through before it rejects (the user may set another). */
const PRODUCER_RETRIES = 20;
/** Reconnect every 50, 100, … ms, at most every second: 20 of them take about 10 s. */
const producerRetryDelay = (attempt: number): number => Math.min(attempt * 50, 1000);

/**
 * A Cluster retries a call through a master's failover (CLUSTERDOWN, MOVED to the dead master,
 * its closed connection), every 100 ms or so, counting each as a redirection: ioredis's 16 give
 * up after about 1.6 s, before a replica can take over (2 s and more). 100 of them ride out a
 * failover of about 10 s, as a standalone producer does (PRODUCER_RETRIES); the user may set
 * `maxRedirections`.
 */
const PRODUCER_CLUSTER_REDIRECTIONS = 100;

/**
 * A worker's connections reconnect for as long as Redis is down: the user's strategy sets the
 * delays, but where it would give up (null, an Error) sluice goes on retrying every 2 s at most.
 */
function keepRetrying(user: RedisOptions['retryStrategy']): (attempt: number) => number {
  return (attempt) => {
    const delay = user?.(attempt);
    return typeof delay === 'number' && delay >= 0 ? delay : Math.min(attempt * 50, 2000);
  };
}

/**
 * A client for sluice's own use; `role` picks its retry behaviour.
 *
 * A producer uses the user's settings: a client passed in is used as given, and for a URL or
 * options only what the user left unset is filled in. By default a call waits through an outage
 * or failover of up to about 10 s (20 reconnections, at most a second apart, so it goes on as
 * soon as Redis is back) and then rejects with RedisUnavailableError: long enough to ride out a
 * primary's failover, short enough that an HTTP handler does not hang. ioredis 6's own default
 * would wait minutes (20 reconnections up to 5 s apart, with jitter). That is when connecting is
 * refused (Redis down or restarting); when the host drops packets, each reconnection also waits
 * `connectTimeout`. A call made in the middle of a long outage waits for the next round of 20
 * (up to about 20 s). `maxRetriesPerRequest`, `retryStrategy` and `connectTimeout` change it.
 *
 * Worker and blocking clients are sluice's own duplicates, and two settings are forced on
 * them whatever the user passed: they retry for as long as Redis is down (the loop waits for
 * it; the user's retryStrategy sets the delays but cannot stop them), and they report the
 * commands a dropped connection left unanswered instead of resending them. A resent script
 * call would run twice when its first run had been applied (acks reported lost, leases
 * orphaned); the worker knows which calls those were and settles them itself (see
 * Worker.callFailed).
 */
export function createClient(
  input: ConnectionInput | undefined,
  role: 'producer' | 'worker' | 'blocking',
  name?: string,
): { client: Redis; owned: boolean } {
  const userOptions: RedisOptions | undefined = isClient(input)
    ? input.options
    : typeof input === 'object' && input !== null
      ? (input as RedisOptions)
      : undefined;
  const roleOptions: RedisOptions =
    role === 'producer'
      ? {}
      : { maxRetriesPerRequest: null, autoResendUnfulfilledCommands: false, retryStrategy: keepRetrying(userOptions?.retryStrategy) };
  // only used by cutConnection's disconnect(): with 0 a socket already gone leaves no 2 s timer
  roleOptions.disconnectTimeout = 0;
  // what sluice fills in for a producer where the user said nothing (see the header)
  const producerDefaults: RedisOptions =
    role === 'producer' ? { maxRetriesPerRequest: PRODUCER_RETRIES, retryStrategy: producerRetryDelay } : {};
  // named connections make CLIENT LIST readable (and let fault tests find them)
  if (name) roleOptions.connectionName = name;
  // through Sentinel, follow the sentinels' +switch-master at once: a master they replaced may
  // still be up (a second failover, a partition) and take writes its demotion will wipe (chaos:
  // sentinel-failover, test/faults/sentinel-switch.test.ts); explicit options win
  const sentinelDefaults: RedisOptions = userOptions?.sentinels?.length ? { failoverDetector: true } : {};
  let client: Redis;
  let owned = true;
  if (input === undefined) {
    throw new InvalidOptionError('connection is required: a redis:// URL, ioredis options, or an ioredis client');
  } else if (isClusterClient(input) || isClusterOptions(input)) {
    return createClusterClient(input, role, roleOptions, producerDefaults);
  } else if (typeof input === 'string') {
    client = new Redis(input, { ...producerDefaults, ...roleOptions, lazyConnect: false });
  } else if (isClient(input)) {
    refuseKeyPrefix(input.options);
    if (role === 'producer') {
      client = input;
      owned = false;
    } else {
      // ioredis fills in failoverDetector: false, so the user's choice cannot be told from the default
      client = input.duplicate({ ...sentinelDefaults, ...roleOptions });
    }
  } else if (typeof input === 'object' && input !== null) {
    refuseKeyPrefix(input);
    // BullMQ users write { url }: ioredis would ignore it and connect to localhost
    const { url, ...options } = input as RedisOptions & { url?: unknown };
    if (url !== undefined && typeof url !== 'string') throw new InvalidOptionError('connection.url must be a redis:// URL string');
    const merged = { ...producerDefaults, ...sentinelDefaults, ...options, ...roleOptions };
    client = url === undefined ? new Redis(merged) : new Redis(url, merged);
  } else {
    throw new InvalidOptionError('connection must be a redis:// URL, ioredis options, or an ioredis client');
  }
  refuseKeyPrefix(client.options);
  registerScripts(client);
  if (owned && client.options.sentinels?.length) reviveWhenEnded(client);
  return { client, owned };
}

/**
 * The Cluster form of createClient. A Cluster's commands reach its nodes through one connection
 * per node, made from `redisOptions`: that is where the role's settings go (merged over the user's), and the cluster's own reconnection
 * (`clusterRetryStrategy`) keeps retrying for a worker. The client is typed as a Redis: the two
 * share their command interface; where they differ (closing, addressing one node's connection)
 * the code asks isClusterClient().
 */
function createClusterClient(
  input: Cluster | ClusterConnectionOptions | string[],
  role: 'producer' | 'worker' | 'blocking',
  roleOptions: RedisOptions,
  producerDefaults: RedisOptions,
): { client: Redis; owned: boolean } {
  const userOptions: ClusterOptions = isClusterClient(input) ? input.options : Array.isArray(input) ? {} : input;
  refuseKeyPrefix(userOptions);
  refuseKeyPrefix(userOptions.redisOptions);
  const { retryStrategy: _nodesDoNotRetry, ...nodeOptions } = roleOptions;
  const clusterRole: ClusterOptions =
    role === 'producer'
      ? { redisOptions: nodeOptions }
      : {
          redisOptions: nodeOptions,
          clusterRetryStrategy: keepRetrying(userOptions.clusterRetryStrategy ?? undefined),
          // a Cluster resends a command whose node connection closed (retryDelayOnFailover):
          // a script call that ran would run twice; 0 reports it, and the worker settles it
          retryDelayOnFailover: 0,
          // a node connection that reconnected by itself would drop such a call without settling
          // it; without a node strategy it rejects it ("Connection is closed."), and the cluster
          // reconnects the node
          clusterNodeRetryStrategy: undefined,
        };
  let cluster: Cluster;
  let owned = true;
  if (isClusterClient(input)) {
    if (role === 'producer') {
      cluster = input;
      owned = false;
    } else {
      // the user's node settings (password, TLS) under the role's: ioredis 5's duplicate()
      // replaces redisOptions whole where ioredis 6 merges them, so the merge is done here
      cluster = input.duplicate([], { ...clusterRole, redisOptions: { ...input.options.redisOptions, ...clusterRole.redisOptions } });
    }
  } else {
    // a node connection never reconnects by itself (the cluster does): no retryStrategy there
    const { retryStrategy: _clusterReconnects, ...nodeDefaults } = producerDefaults;
    const clusterDefaults: ClusterOptions = role === 'producer' ? { maxRedirections: PRODUCER_CLUSTER_REDIRECTIONS } : {};
    cluster = newCluster(input, clusterRole, { ...clusterDefaults, redisOptions: nodeDefaults });
  }
  // a producer's calls give up as a standalone producer's do (the user's own Cluster is left as it is)
  if (role === 'producer' && owned) giveUpQueuedCalls(cluster);
  const client = cluster as unknown as Redis;
  registerScripts(client);
  return { client, owned };
}

/** Redis and user pairs whose unreadable maxmemory-policy was logged already: once per process, not per Queue and Worker. */
const policyUnreadable = new Set<string>();

/**
 * Invariant 9 (docs/invariants.md): evicted keys are lost jobs. Managed Redis often refuses
 * CONFIG (an ACL user without it gets NOPERM; some services rename or disable the command):
 * then the policy cannot be checked, which is said once, at info, and sluice carries on.
 */
export async function checkEvictionPolicy(client: Redis, mode: EvictionPolicyMode, logger: Logger): Promise<void> {
  if (mode === 'ignore') return;
  let policy: string | undefined;
  try {
    const reply = (await client.call('CONFIG', 'GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(reply)) policy = String(reply[1]);
    else if (reply && typeof reply === 'object') policy = String((reply as Record<string, unknown>)['maxmemory-policy']);
  } catch (err) {
    // an error reply (NOPERM, CONFIG disabled) is no answer; a connection failure is one, and
    // must not pass for a checked policy
    if ((err as Error)?.name !== 'ReplyError') throw err;
    const reply = (err as Error).message;
    // a refused login (WRONGPASS, NOAUTH) is no word on CONFIG: the calls that follow report it
    if (/^(WRONGPASS|NOAUTH)/.test(reply)) return;
    const { host, port, path, username } = client.options;
    const address = `${host ?? ''}:${port ?? ''}:${path ?? ''}:${username ?? ''}`;
    if (policyUnreadable.has(address)) return;
    policyUnreadable.add(address);
    logger.info(
      { reply },
      'could not check Redis maxmemory-policy (CONFIG GET refused, as on managed Redis): ' +
        'make sure it is noeviction, or keys may be evicted',
    );
    return;
  }
  if (!policy || policy === 'noeviction') return;
  if (mode === 'refuse') throw new EvictionPolicyError(policy);
  logger.warn({ policy }, `Redis maxmemory-policy is "${policy}": Redis may evict queue keys, which loses jobs; set it to noeviction`);
}

/**
 * Closes a client sluice owns: QUIT, so Redis has answered everything sent before it, then the
 * socket is destroyed. While Redis is unreachable (QUIT would queue for good), or if QUIT gets
 * no answer within a second, the connection is cut at once.
 */
export async function closeClient(client: Redis, owned: boolean): Promise<void> {
  if (!owned) return;
  endOnPurpose(client);
  if (client.status !== 'ready') {
    cutConnection(client);
    return;
  }
  // a Cluster's quit() sends QUIT to every node it holds, which then leave its pool
  const nodes = asCluster(client)?.nodes('all') ?? [];
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('QUIT got no answer')), 1000);
      }),
    ]);
  } catch {
    // no answer: nothing more to wait for
  } finally {
    clearTimeout(timer);
  }
  // after QUIT's answer ioredis still waits (up to 2 s) for the socket's close before letting
  // the process exit; everything sent has been answered by now, so the socket can go
  cutConnection(client);
  for (const node of nodes) cutConnection(node);
}

/**
 * Closes a connection at once, for good. ioredis's disconnect() half-closes the socket and
 * keeps a 2 s timer until Redis closes its side, which a blocked command (BZPOPMIN, XREAD
 * BLOCK) delays: the process then stays alive 2 s after close() resolved. Nothing on these
 * connections waits for an answer any more, so the socket is destroyed right away.
 * While Redis is down the socket is gone already and ioredis waits to reconnect: disconnect()
 * stops that, but ioredis never sees a close event again, so the client is ended here and the
 * commands it held rejected (ioredis does the same when it gives up reconnecting).
 */
export function cutConnection(client: Redis): void {
  endOnPurpose(client);
  const cluster = asCluster(client);
  if (cluster) {
    // the cluster stops reconnecting and drops its nodes; each node's socket is then cut the same way
    const nodes = cluster.nodes('all');
    cluster.disconnect(false);
    for (const node of nodes) cutConnection(node);
    return;
  }
  const stream = client.stream as { destroy?: () => void; destroyed?: boolean } | undefined;
  const open = stream !== undefined && stream.destroyed !== true;
  if (client.status === 'end') {
    // after QUIT's answer the client has ended, but its socket may still wait out the timer
    if (open) stream.destroy?.();
    return;
  }
  client.disconnect(false);
  if (open) {
    stream.destroy?.(); // its close event ends the client and rejects what it held
    return;
  }
  // ioredis internals, present in 5 and 6; guarded so that a future version degrades to waiting
  const internal = client as unknown as { setStatus?: (status: string) => void; flushQueue?: (err: Error) => void };
  internal.setStatus?.('end');
  internal.flushQueue?.(new Error('Connection is closed.'));
}

/** Redis' own clock in ms (invariant 4): what cut-offs and first slots are computed from. */
export async function redisNow(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
