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
  /** The group's backup check of a due time: member 'b', for idle workers that hold no due time (src/worker/idle-wait.ts). */
  wakeBackup: string;
  /** Ordered keys parked by their per-key limit: key -> when it may start again. */
  keyWait: string;
  /** Ordered keys: slots held and ring membership per key, and '#waiting'. */
  keyState: string;
  /** Metrics: the group's monotonic totals (i64 counters, histogram buckets and sums in a fixed-size string; src/metrics). */
  metrics: string;
  /** Metrics: per-minute ring of completed and dead-lettered counts (a fixed-size string, BITFIELD). */
  minutes: string;
  /** Metrics: per-minute ring of wait and processing histograms (a fixed-size string, BITFIELD). */
  minuteHist: string;
  /** Worker registry: worker id -> when its entry expires without a heartbeat (ms, Redis time). */
  workers: string;
  /** Worker registry: a worker's description (JSON), expiring a few missed heartbeats after its last. */
  worker(id: string): string;
}

/** Which partition of a partitioned queue the keys are of (src/partitions/layout.ts). */
export interface PartitionRef {
  index: number;
  count: number;
  /** The partition's hash tag, `<queue>~<k>`. */
  tag: string;
}

export interface QueueKeys {
  /** "P:{Q}:" — the prefix every key of the queue starts with ("P:{Q~k}:" for a partition). */
  base: string;
  /** Set for one partition of a partitioned queue. */
  partition: PartitionRef | undefined;
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
  /** Metrics of the queue as a whole (producer side: backpressure rejections). */
  metrics: string;
  /** A flow parent's children: `d:<child>` pending, `v:<child>` return value, `f:<child>` failure (flows). */
  kids(id: string): string;
  /** Flow parents waiting for their children: id -> when added (ms). */
  waitingChildren: string;
  /** A flow added in several calls: its jobs written and not placed yet (a list, in the root's queue; docs/flows.md). */
  flowHeld(flowId: string): string;
  /** Flows committed whose jobs are still being placed: their held lists' keys. */
  flows: string;
  group(name: string): GroupKeys;
}

/** The keys of a queue, or with `partition`, of one partition of it (its tag in place of the name). */
export function queueKeys(prefix: string, queue: string, partition?: PartitionRef): QueueKeys {
  const base = `${prefix}:{${partition ? partition.tag : queue}}:`;
  return {
    base,
    partition,
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
    metrics: `${base}metrics`,
    kids: (id) => `${base}kids:${id}`,
    waitingChildren: `${base}waitkids`,
    flowHeld: (flowId) => `${base}flow:${flowId}`,
    flows: `${base}flows`,
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
        wakeBackup: `${g}wakeb`,
        keyWait: `${g}keywait`,
        metrics: `${g}metrics`,
        minutes: `${g}minutes`,
        minuteHist: `${g}mhist`,
        workers: `${g}workers`,
        worker: (id) => `${g}worker:${id}`,
      };
    },
  };
}

/**
 * Field names of the job hash (short, since every job pays for them in memory). The one list of
 * them: every field a Lua script reads or writes in a job record is here, and
 * test/lua/field-registry.test.ts fails on one that is not (or on one here that nothing writes).
 */
export const JobField = {
  /** The job's name. */
  name: 'n',
  /** Its data (JSON); "#n" when it is spread over n pieces (lua/includes/jobData.lua). */
  data: 'd',
  /** A piece of spread data (1..n). */
  dataPiece: (piece: number | string) => `d${piece}`,
  /** Its options (JSON). */
  opts: 'o',
  /** When it was added (ms, Redis time). */
  timestamp: 'ts',
  /** waiting, active, delayed, completed or failed. */
  state: 's',
  /** Failed attempts (attemptsMade). */
  attemptsMade: 'a',
  /** How many times it was leased. */
  deliveries: 'dl',
  /** How many of its leases expired (stalls). */
  stalls: 'sc',
  /** The current lease token; once completed, "=token" of the delivery that completed it (acks are idempotent); else empty. */
  token: 'tk',
  /** processedOn: when it was last leased (ms). */
  processedOn: 'po',
  /** finishedOn (ms). */
  finishedOn: 'fo',
  /** The return value (JSON). */
  returnvalue: 'rv',
  failedReason: 'fr',
  /** The stack traces (JSON array). */
  stacktrace: 'st',
  /** The progress (JSON). */
  progress: 'pg',
  priority: 'p',
  /** Due time of a delayed job or of a retry waiting out its backoff (ms). */
  due: 'du',
  /** 1: placed at the front of the line (lifo); 0: not lifo, written by job.changePriority. */
  lifo: 'lf',
  /** The start-by deadline (ms): not started by then, it fails as expired. */
  startBy: 'sb',
  /** The deduplication id it holds. */
  dedup: 'dd',
  /** The stream entry that announced a job with a published record. */
  streamEntry: 'se',
  /** The ordering key (orderingKey). */
  orderingKey: 'ok',
  /**
   * Key released: 1 when an ordered job holds no slot of its key any more although it is not
   * finished: a retry with releaseKeyOnRetry (fail.lua), or a redriven job (retry-job,
   * retry-jobs), which runs outside its key's order. Its completion or failure then releases nothing.
   */
  keyReleased: 'kr',
  /** A published record in a queue without the default group: groups still to take their own copy (it goes at 0). */
  pendingCopies: 'pend',
  /** A request to cancel the running job, with its reason (queue.cancelJob; read by the renewal, extend.lua). */
  cancelRequest: 'cx',
  /** A flow child: the base ("P:{Q}:") of its parent's queue. */
  parentBase: 'pb',
  /** A flow child: its parent's id. */
  parentId: 'pi',
  /** A flow child: what its final failure does to the parent: f fail it, i ignore, c continue it now, r remove the dependency. */
  parentPolicy: 'pp',
  /** A flow parent: children not finished yet (it is placed when this reaches 0). */
  pendingChildren: 'pd',
  /** A job of a flow added in several calls, written and not placed yet: the flow's held list (flowPlace.lua). */
  flowHeld: 'fh',
} as const;

/** `group` in the per-group fields of MetaField. */
type PerGroup = (group: string) => string;

/**
 * Field names of the queue's meta hash (P:{Q}:meta): the queue's settings (written by Queue and
 * Worker, read by the scripts through lua/includes/settings.lua) and the scripts' own per-group
 * state. The one list of them (test/lua/field-registry.test.ts checks it against lua/).
 */
export const MetaField = {
  /** The event stream's cap (entries; 0: no events). */
  eventsMaxLen: 'eventsMaxLen',
  /** Events older than this are trimmed (ms; 0: no age limit). */
  eventsMaxAgeMs: 'eventsMaxAgeMs',
  /** Retention: stream history kept for replay (entries; -1: none beyond what some group has not read). */
  keepLen: 'keepLen',
  /** Retention: stream history kept for replay (ms). */
  keepAgeMs: 'keepAgeMs',
  /** Backpressure: most jobs waiting (absent: no limit). */
  maxLength: 'maxLength',
  /** How many partitions the queue has (absent: none; set-partitions.lua). */
  partitions: 'partitions',
  /** The group's rate limit, "max:durationMs". */
  limit: ((group) => `limit:${group}`) as PerGroup,
  /** In a partition: '1' when the group's rate limit is the whole queue's (leases need reserved starts). */
  queueLimit: ((group) => `queueLimit:${group}`) as PerGroup,
  /** The group's dynamic limit: it starts nothing before this time (ms, Redis time). */
  limitUntil: ((group) => `limitUntil:${group}`) as PerGroup,
  /** The group's keyConcurrency. */
  keyConcurrency: ((group) => `keyConc:${group}`) as PerGroup,
  /** The group's per-key rate limit (keyLimiter), "max:durationMs". */
  keyLimit: ((group) => `keyLimit:${group}`) as PerGroup,
  /** Where an obliterate's or removeGroup's scan of the group's ordering keys resumes (dropGroupJobs.lua). */
  keyScan: ((group) => `keyscan:${group}`) as PerGroup,
  /** A removed group's stream cursor: its unread entries still to give up, batch by batch (remove-group.lua). */
  removing: ((group) => `removing:${group}`) as PerGroup,
  /** '1' while the group's drained event stands: announced, and no full lease since (leaseJobs.lua). */
  drained: ((group) => `drained:${group}`) as PerGroup,
  /** The group's cap on jobs leased at once by all its workers (queue.setGlobalConcurrency). */
  groupConcurrency: ((group) => `gconc:${group}`) as PerGroup,
  /** '1' while flows committed in this queue (their root's) are not placed in full (flowPlace.lua: its leases finish them). */
  flows: 'flows',
  /** '1' once a lease read the stream into the default group's PEL (jobs leased without a record: leasedEntry.lua). */
  leasedEntries: 'pel',
} as const;
