// The history of a chaos run: what producers, workers and the runner saw, as records pushed to a
// list in a separate recorder redis-server. The recorder is never faulted, so a record written
// before a SIGKILL of its writer survives it. Writers are the child processes (HistoryWriter);
// the runner reads the whole list back for the checker (readHistory).
import { Redis } from 'ioredis';
import { CLOCK_SHIFT } from './skew-clock.js';

/** The shift of this process's wall clock, if lib/skew-clock.ts skews it. */
const clockShift = (globalThis as { [CLOCK_SHIFT]?: () => number })[CLOCK_SHIFT];

/** The list every record is pushed to, one JSON string per record. */
export const HISTORY_KEY = 'chaos:history';

/**
 * A fault the runner injected. What each kind can explain is in chaos/lib/faults.ts: a process
 * fault hits the process `pid` (its leases may run out), a link fault hits every client of
 * the queue's Redis, a rollback fault may also undo writes Redis had acknowledged. The end of
 * a fault (sigcont, redis-start, heal, unpause) explains nothing by itself. A `stall` is not
 * injected: a worker records its own event loop standing still (a busy host), from `t` to `until`.
 */
export type FaultKind =
  | 'sigkill'
  | 'sigstop'
  | 'sigcont'
  | 'redis-kill'
  | 'redis-start'
  | 'client-kill'
  | 'client-pause'
  | 'unpause'
  | 'partition'
  | 'link-cut'
  | 'heal'
  | 'failover'
  | 'reshard'
  | 'clock-skew'
  | 'oom'
  | 'stall';

/**
 * One event of the history. `t` is the wall clock (ms, Date.now()) of the process that wrote
 * it: every process runs on this machine, so the clocks agree (a process whose clock the chaos
 * runner skews writes its true time). `pid` is the writer's process.
 */
export type HistoryRecord =
  /**
   * The producer's add was acknowledged: job `id` carries sequence number `seq`; `due`: a delayed
   * job's due time (ms, Redis time); `bulk`: it came from an addBulk of that many jobs.
   */
  | { k: 'add'; id: string; seq: number; pid: number; t: number; due?: number; bulk?: number }
  /**
   * The producer's add was rejected (it may or may not have been applied); `cls`: the error's
   * class (with its cause's, as `AddBulkError<cause>`), `ms`: how long the refused call took.
   */
  | { k: 'reject'; seq: number; err: string; pid: number; t: number; cls?: string; ms?: number; bulk?: number }
  /**
   * A processor call began (written and awaited before the job's work): delivery `d`, stalls
   * `st`, failed attempts `a`, lease token `tk`, and `po`, when Redis leased this delivery (ms,
   * Redis time: a job leased ahead waits in the worker's buffer before it starts); `seq` is the
   * producer's sequence number from the job's data. `g`: the consumer group, when not the
   * default one (also on done, failed and lost). `due`: when the job was due (ms, Redis time),
   * for a delayed job (its timestamp + delay) and a scheduler's job (its slot); `ts`: a
   * scheduler job's timestamp, when its slot was fired (ms, Redis time).
   */
  | {
      k: 'start';
      id: string;
      seq: number;
      d: number;
      st: number;
      a: number;
      tk: string;
      po: number;
      pid: number;
      t: number;
      g?: string;
      due?: number;
      ts?: number;
    }
  /** A `completed` event: Redis accepted the ack of delivery `d`. */
  | { k: 'done'; id: string; d: number; tk: string; pid: number; t: number; g?: string }
  /** A `failed` event (a failed attempt; `retry`: it comes back). */
  | { k: 'failed'; id: string; d: number; err: string; retry: boolean; pid: number; t: number; g?: string }
  /** A `lost` event: this worker's lease of the job was gone, its result discarded (`d`: the delivery it ran, if it ran one). */
  | { k: 'lost'; id: string; d?: number; pid: number; t: number; g?: string }
  /** A `stalled` event seen by this worker: it reclaimed a job whose lease ran out. */
  | { k: 'stalled'; id: string; pid: number; t: number }
  /** An `error` event of a worker (it carries on). */
  | { k: 'error'; err: string; pid: number; t: number }
  /** A worker process ended without being told to (not a SIGKILL of the runner's, not a close). */
  | { k: 'died'; code: number | null; signal: string | null; pid: number; t: number }
  /**
   * A fault the runner injected; `pid` is the process it hit (the worker, or redis-server).
   * `until`: when a fault that lasts (a pause, a partition) ended, if it was recorded at its end.
   */
  | { k: 'fault'; what: FaultKind; pid: number; t: number; until?: number; note?: string };

/** Buffers nothing: each record is one RPUSH, so what was written before a SIGKILL is kept. */
export class HistoryWriter {
  private readonly client: Redis;
  private failures = 0;

  constructor(url: string) {
    // the recorder is never faulted: retry every command, resend after a reconnect
    this.client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    this.client.on('error', () => undefined);
  }

  /** Pushes a record and resolves once the recorder holds it (its `t` on the machine's true clock). */
  async write(record: HistoryRecord): Promise<void> {
    const onTrueClock = clockShift ? { ...record, t: record.t - clockShift() } : record;
    await this.client.rpush(HISTORY_KEY, JSON.stringify(onTrueClock));
  }

  /** Pushes a record without waiting (a failure is counted, and reported by `failed`). */
  send(record: HistoryRecord): void {
    this.write(record).catch(() => {
      this.failures++;
    });
  }

  get failed(): number {
    return this.failures;
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** Reads every record, oldest first, in pages (a full run holds a few hundred thousand). */
export async function readHistory(url: string): Promise<HistoryRecord[]> {
  const client = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    const total = await client.llen(HISTORY_KEY);
    const records: HistoryRecord[] = [];
    const page = 10_000;
    for (let start = 0; start < total; start += page) {
      for (const line of await client.lrange(HISTORY_KEY, start, start + page - 1)) records.push(JSON.parse(line) as HistoryRecord);
    }
    return records;
  } finally {
    client.disconnect();
  }
}

/** Empties the history between scenarios. */
export async function clearHistory(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 3 });
  try {
    await client.del(HISTORY_KEY);
  } finally {
    client.disconnect();
  }
}
