// The one place where key names are built. Every key of a queue carries the hash tag {queue},
// so all of a queue's keys live in one slot and every script runs on Redis Cluster unchanged.
// Scripts derive job keys only from `base`, which carries the same tag.

export interface GroupKeys {
  /**
   * Prefix of the group's job records and logs. The default group's record is the job's
   * published record ("P:{Q}:job:<id>"); another group keeps its own ("P:{Q}:g:G:job:<id>").
   */
  records: string;
  job(id: string): string;
  logs(id: string): string;
  wait: string;
  active: string;
  retry: string;
  prio: string;
  completed: string;
  failed: string;
  paused: string;
  /** The rate limiter's log of recent starts. */
  limiter: string;
  /** The group's wake marker: a zset of one member, scored by when work is ready (lua/includes/wake.lua). */
  wake: string;
  /** Ordered keys parked by their per-key limit: key -> when it may start again. */
  keyWait: string;
  /** Ordered keys: slots held and ring membership per key, and '#waiting'. */
  keyState: string;
}

export interface QueueKeys {
  /** "P:{Q}:" — the prefix every key of the queue starts with. */
  base: string;
  id: string;
  stream: string;
  wake: string;
  groups: string;
  delayed: string;
  schedulers: string;
  scheduler(key: string): string;
  events: string;
  meta: string;
  /** Capped stream written when jobs leave the waiting line of a queue with maxLength. */
  room: string;
  job(id: string): string;
  logs(id: string): string;
  dedup(id: string): string;
  /** Index of the queue's deduplication ids: id -> expiry (ms, +inf without a ttl), for obliterate. */
  dedupIndex: string;
  group(name: string): GroupKeys;
}

export function queueKeys(prefix: string, queue: string): QueueKeys {
  const base = `${prefix}:{${queue}}:`;
  return {
    base,
    id: `${base}id`,
    stream: `${base}stream`,
    wake: `${base}wake`,
    groups: `${base}groups`,
    delayed: `${base}delayed`,
    schedulers: `${base}schedulers`,
    events: `${base}events`,
    meta: `${base}meta`,
    room: `${base}room`,
    scheduler: (key) => `${base}scheduler:${key}`,
    job: (id) => `${base}job:${id}`,
    logs: (id) => `${base}logs:${id}`,
    dedup: (id) => `${base}dedup:${id}`,
    dedupIndex: `${base}dedups`,
    group: (name) => {
      const g = `${base}g:${name}:`;
      const records = name === 'default' ? base : g;
      return {
        records,
        job: (id) => `${records}job:${id}`,
        logs: (id) => `${records}logs:${id}`,
        wait: `${g}wait`,
        active: `${g}active`,
        retry: `${g}retry`,
        prio: `${g}prio`,
        completed: `${g}completed`,
        failed: `${g}failed`,
        paused: `${g}paused`,
        limiter: `${g}limiter`,
        keyState: `${g}keyst`,
        wake: `${g}wake`,
        keyWait: `${g}keywait`,
      };
    },
  };
}

/** Field names of the job hash (short, since every job pays for them in memory). */
export const JobField = {
  name: 'n',
  data: 'd',
  opts: 'o',
  timestamp: 'ts',
  state: 's',
  attemptsMade: 'a',
  deliveries: 'dl',
  stalls: 'sc',
  token: 'tk',
  processedOn: 'po',
  finishedOn: 'fo',
  returnvalue: 'rv',
  failedReason: 'fr',
  stacktrace: 'st',
  progress: 'pg',
  priority: 'p',
  due: 'du',
  lifo: 'lf',
  startBy: 'sb',
  dedup: 'dd',
  /** The stream entry that announced a job with a published record. */
  streamEntry: 'se',
} as const;
