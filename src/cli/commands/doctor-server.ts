// The Redis server checks of `sluice doctor`: version, maxmemory-policy, persistence, memory
// headroom, cluster mode, latency and slow scripts. Each returns findings with a severity and
// what to do. Everything is read with INFO, PING and a bounded SLOWLOG GET; CONFIG GET is only a
// fallback, and where a managed Redis refuses a command the finding says "unknown".
import type { Redis } from 'ioredis';

export type Severity = 'ok' | 'info' | 'warning' | 'error';

/** One finding of doctor. */
export interface Finding {
  /** What was checked (`redis-version`, `maxmemory-policy`, `stuck-queue`, ...). */
  check: string;
  severity: Severity;
  /** What was found, short (`7.2.4`, `volatile-lru`, `unknown`). */
  value: string;
  message: string;
  /** What to do about it (not for `ok`). */
  fix?: string;
}

/** INFO's `key:value` lines (one section or all). */
export function parseInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) map.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return map;
}

/** CONFIG GET's value, or undefined when CONFIG is refused or renamed (managed Redis). */
async function configGet(client: Redis, name: string): Promise<string | undefined> {
  try {
    const reply = (await client.call('CONFIG', 'GET', name)) as string[];
    return reply[1];
  } catch {
    return undefined;
  }
}

function versionFinding(info: Map<string, string>): Finding {
  const version = info.get('redis_version') ?? 'unknown';
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const check = 'redis-version';
  if (version === 'unknown')
    return { check, severity: 'warning', value: version, message: 'INFO did not say the version', fix: 'check it is 7.0 or newer' };
  if (major < 6 || (major === 6 && minor < 2)) {
    return {
      check,
      severity: 'error',
      value: version,
      message: 'sluice needs Redis 6.2 at least (XTRIM MINID, LPOP count)',
      fix: 'upgrade to Redis 7',
    };
  }
  if (major < 7) {
    return {
      check,
      severity: 'error',
      value: version,
      message: "sluice's scripts need Redis 7.0 (#!lua flags such as allow-oom; XINFO GROUPS lag)",
      fix: 'upgrade to Redis 7.0 or newer (docs/redis.md)',
    };
  }
  return { check, severity: 'ok', value: version, message: 'Redis 7.0 or newer' };
}

async function policyFinding(client: Redis, memory: Map<string, string>): Promise<Finding> {
  const policy = memory.get('maxmemory_policy') ?? (await configGet(client, 'maxmemory-policy'));
  const check = 'maxmemory-policy';
  if (policy === undefined) {
    return {
      check,
      severity: 'warning',
      value: 'unknown',
      message: 'could not read it (CONFIG refused, as on managed Redis)',
      fix: "make sure it is noeviction in the service's settings",
    };
  }
  if (policy !== 'noeviction') {
    return {
      check,
      severity: 'error',
      value: policy,
      message: 'Redis may evict keys under memory pressure: an evicted key is a lost job',
      fix: "CONFIG SET maxmemory-policy noeviction (and in redis.conf, or the managed service's parameter group)",
    };
  }
  return { check, severity: 'ok', value: policy, message: 'nothing is evicted' };
}

async function persistenceFinding(client: Redis, p: Map<string, string>): Promise<Finding> {
  const check = 'persistence';
  if (!p.has('aof_enabled')) {
    return {
      check,
      severity: 'warning',
      value: 'unknown',
      message: 'INFO persistence refused or silent',
      fix: 'check AOF/RDB in the service settings',
    };
  }
  const aof = p.get('aof_enabled') === '1';
  const failed = [
    p.get('rdb_last_bgsave_status') === 'err' && 'the last RDB save failed',
    p.get('aof_last_write_status') === 'err' && 'the last AOF write failed',
  ];
  const broken = failed.filter(Boolean).join('; ');
  const [save, fsync] = await Promise.all([configGet(client, 'save'), aof ? configGet(client, 'appendfsync') : undefined]);
  const rdb = save === undefined ? 'unknown' : save.trim() === '' ? 'off' : `save ${save}`;
  const value = `aof ${aof ? `on${fsync ? ` (appendfsync ${fsync})` : ''}` : 'off'}, rdb ${rdb}`;
  if (broken) return { check, severity: 'error', value, message: broken, fix: 'look at the Redis log: disk full or not writable?' };
  if (!aof && rdb === 'off') {
    return {
      check,
      severity: 'warning',
      value,
      message: 'neither AOF nor RDB: a restart loses every job',
      fix: 'CONFIG SET appendonly yes (and in redis.conf)',
    };
  }
  if (!aof) {
    return {
      check,
      severity: 'warning',
      value,
      message:
        'AOF is off: a crash loses the jobs added since the last RDB snapshot' +
        (rdb === 'unknown' ? ' (snapshot settings unknown: CONFIG refused)' : ''),
      fix: 'CONFIG SET appendonly yes (appendfsync everysec loses at most about a second)',
    };
  }
  if (fsync === 'no')
    return {
      check,
      severity: 'warning',
      value,
      message: 'appendfsync no: the OS decides when writes reach the disk',
      fix: 'CONFIG SET appendfsync everysec',
    };
  return { check, severity: 'ok', value, message: 'AOF on' };
}

function memoryFinding(memory: Map<string, string>): Finding {
  const check = 'memory';
  const used = Number(memory.get('used_memory') ?? Number.NaN);
  const max = Number(memory.get('maxmemory') ?? Number.NaN);
  const mb = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;
  if (!Number.isFinite(used))
    return { check, severity: 'warning', value: 'unknown', message: 'INFO memory did not say', fix: 'check memory in your monitoring' };
  if (!Number.isFinite(max) || max === 0) {
    return {
      check,
      severity: 'info',
      value: `${mb(used)} used, maxmemory 0`,
      message: 'no maxmemory: Redis grows until the host runs out of memory',
      fix: 'set maxmemory below the memory the host gives Redis',
    };
  }
  const ratio = used / max;
  const value = `${mb(used)} of ${mb(max)} (${Math.round(ratio * 100)}%)`;
  if (ratio >= 0.9)
    return {
      check,
      severity: 'error',
      value,
      message: 'almost full: adds will be refused (out of memory)',
      fix: 'drain or clean queues, lower retention, or raise maxmemory',
    };
  if (ratio >= 0.75)
    return {
      check,
      severity: 'warning',
      value,
      message: 'less than a quarter of maxmemory left',
      fix: 'watch it; lower retention or raise maxmemory',
    };
  return { check, severity: 'ok', value, message: 'headroom left' };
}

function clusterFinding(info: Map<string, string>): Finding {
  if (!info.has('cluster_enabled')) return { check: 'cluster', severity: 'info', value: 'unknown', message: 'INFO did not say' };
  const on = info.get('cluster_enabled') === '1';
  return on
    ? {
        check: 'cluster',
        severity: 'info',
        value: 'enabled',
        message: 'Redis Cluster: doctor checked this node only',
        fix: 'run doctor against each master',
      }
    : { check: 'cluster', severity: 'ok', value: 'standalone', message: 'not a cluster' };
}

async function latencyFinding(client: Redis, pings = 5): Promise<Finding> {
  const times: number[] = [];
  for (let i = 0; i < pings; i++) {
    const start = process.hrtime.bigint();
    await client.ping();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const max = times[times.length - 1]!;
  const value = `median ${median.toFixed(2)} ms, max ${max.toFixed(2)} ms over ${pings} PINGs`;
  if (median > 50)
    return {
      check: 'latency',
      severity: 'warning',
      value,
      message: 'slow round trips: every job costs a few',
      fix: 'run workers close to Redis; check Redis CPU and the network',
    };
  return { check: 'latency', severity: 'ok', value, message: 'round trips are fast' };
}

const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

async function slowScriptsFinding(client: Redis): Promise<Finding> {
  let entries: unknown[][];
  try {
    entries = (await client.call('SLOWLOG', 'GET', '32')) as unknown[][];
  } catch {
    return {
      check: 'slow-scripts',
      severity: 'info',
      value: 'unknown',
      message: 'SLOWLOG refused (managed Redis?)',
      fix: "look at the service's slow log",
    };
  }
  const scripts = entries.filter((e) => Array.isArray(e[3]) && SCRIPT_COMMANDS.has(String((e[3] as unknown[])[0]).toUpperCase()));
  if (scripts.length === 0)
    return { check: 'slow-scripts', severity: 'ok', value: '0', message: 'no script in the last 32 slow log entries' };
  const maxMs = Math.max(...scripts.map((e) => Number(e[2]) / 1000));
  return {
    check: 'slow-scripts',
    severity: maxMs >= 100 ? 'warning' : 'info',
    value: `${scripts.length}, slowest ${maxMs.toFixed(1)} ms`,
    message: `${scripts.length} of the last ${entries.length} slow log entries are scripts: they block every other client while they run`,
    fix: 'look for admin calls on huge queues or large payloads (SLOWLOG GET 32); sluice bounds its batches (src/limits.ts)',
  };
}

/** Every server check, in order. */
export async function serverFindings(client: Redis): Promise<Finding[]> {
  // INFO refused (an ACL user without +info): every check that needs it says unknown
  const info = parseInfo(await client.info().catch(() => ''));
  return [
    versionFinding(info),
    await policyFinding(client, info),
    await persistenceFinding(client, info),
    memoryFinding(info),
    clusterFinding(info),
    await latencyFinding(client),
    await slowScriptsFinding(client),
  ];
}
