// Faults on the clients of the queue's Redis, for the client-faults and partition scenarios:
// CLIENT KILL storms of sluice's named connections and CLIENT PAUSE, each recorded in the history,
// and the recovery figure (how long after a fault ended each worker completed a job again).
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Queue } from '../../src/index.js';
import { sleep } from '../scenarios/common.js';
import type { QueueAddress } from './child-config.js';
import type { HistoryRecord, HistoryWriter } from './history.js';

/** The runner's own connection to the queue's Redis: it is never killed, and only it pauses. */
export class RedisAdmin {
  private readonly client: Redis;
  private ownId: number | undefined;

  constructor(url: string) {
    this.client = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'chaos:runner' });
    this.client.on('error', () => undefined);
  }

  /**
   * Kills each connection named `sluice:*` (workers' command and blocking connections, the
   * producer's) with probability `share`, at least one; resolves with how many it killed.
   */
  async killSluiceClients(share: number): Promise<number> {
    this.ownId ??= Number(await this.client.call('CLIENT', 'ID'));
    const ids = String(await this.client.call('CLIENT', 'LIST'))
      .split('\n')
      .flatMap((line) => {
        const id = /\bid=(\d+)/.exec(line)?.[1];
        const name = /\bname=(\S*)/.exec(line)?.[1] ?? '';
        return id && Number(id) !== this.ownId && name.startsWith('sluice:') ? [id] : [];
      });
    const chosen = ids.filter(() => Math.random() < share);
    if (chosen.length === 0 && ids.length > 0) chosen.push(ids[Math.floor(Math.random() * ids.length)]!);
    const pipeline = this.client.pipeline();
    for (const id of chosen) pipeline.call('CLIENT', 'KILL', 'ID', id);
    await pipeline.exec();
    return chosen.length;
  }

  /** CLIENT PAUSE ms ALL: every client's commands wait (the pause ends by itself). */
  async pause(ms: number): Promise<void> {
    await this.client.call('CLIENT', 'PAUSE', String(ms), 'ALL');
  }

  close(): void {
    this.client.disconnect();
  }
}

/**
 * Waits until `n` jobs have completed (the producer and the workers are up and work flows), so
 * that a fault hits work in progress however long the processes took to boot.
 */
export async function waitForWork(address: QueueAddress, n: number, timeoutMs = 60_000): Promise<void> {
  const queue = new Queue(address.queue, { connection: address.url, prefix: address.prefix, logger: pino({ level: 'silent' }) });
  try {
    const until = Date.now() + timeoutMs;
    while ((await queue.getJobCounts()).completed < n) {
      if (Date.now() > until) throw new Error(`${address.queue}: fewer than ${n} jobs completed in ${timeoutMs} ms`);
      await sleep(50);
    }
  } finally {
    await queue.close();
  }
}

/** A CLIENT KILL storm: every `minMs`–`maxMs` for `forMs`, each kill recorded as a 'client-kill' fault. */
export async function killStorm(
  admin: RedisAdmin,
  history: HistoryWriter,
  opts: { forMs: number; minMs: number; maxMs: number; share: number },
): Promise<{ kills: number; connections: number; end: number }> {
  const until = Date.now() + opts.forMs;
  let kills = 0;
  let connections = 0;
  while (Date.now() < until) {
    const n = await admin.killSluiceClients(opts.share);
    // recorded once the kills are done: whatever a client did before is before the fault
    await history.write({ k: 'fault', what: 'client-kill', pid: 0, t: Date.now(), note: `${n} connections` });
    kills++;
    connections += n;
    await sleep(opts.minMs + Math.floor(Math.random() * (opts.maxMs - opts.minMs + 1)));
  }
  return { kills, connections, end: Date.now() };
}

/** CLIENT PAUSE ms ALL; recorded at its end as a 'client-pause' fault with `until`. Resolves with its end. */
export async function pauseClients(admin: RedisAdmin, history: HistoryWriter, ms: number): Promise<number> {
  const t = Date.now();
  await admin.pause(ms);
  await sleep(ms);
  const until = t + ms;
  await history.write({ k: 'fault', what: 'client-pause', pid: 0, t, until, note: `CLIENT PAUSE ${ms} ALL` });
  return until;
}

/** For each time in `ends`: ms to the first completion after it, and to when every worker in `pids` had completed one. */
export function recoveryAfter(records: HistoryRecord[], ends: number[], pids: number[]): { first: number; all: number | undefined }[] {
  const dones = records.flatMap((r) => (r.k === 'done' ? [r] : [])).sort((a, b) => a.t - b.t);
  return ends.map((end) => {
    const firstOf = new Map<number, number>();
    for (const d of dones) if (d.t >= end && !firstOf.has(d.pid)) firstOf.set(d.pid, d.t - end);
    const each = pids.map((p) => firstOf.get(p));
    const first = Math.min(...firstOf.values());
    return {
      first: Number.isFinite(first) ? first : -1,
      all: each.some((x) => x === undefined) ? undefined : Math.max(...(each as number[])),
    };
  });
}

/** The recovery figures as text: "first 12 ms, every worker 80 ms" per fault end. */
export function recoveryText(rec: { first: number; all: number | undefined }[]): string {
  return rec
    .map((r) => (r.first < 0 ? 'no completion' : `first ${r.first} ms, every worker ${r.all === undefined ? 'never' : `${r.all} ms`}`))
    .join('; ');
}

/**
 * With CHAOS_LAG_MS set (chaos/worker.ts), the workers' event-loop stalls: a stall of a job's
 * holder within its lease explains a rerun no injected fault does (a busy host). Empty otherwise.
 */
export function stallNote(records: HistoryRecord[]): string[] {
  if (!process.env.CHAOS_LAG_MS) return [];
  const ms = records.flatMap((r) =>
    r.k === 'error' && r.err.startsWith('chaos: event loop stalled') ? [Number(/\d+/.exec(r.err)?.[0])] : [],
  );
  const longest = ms.length > 0 ? Math.max(...ms) : 0;
  return [
    `worker event-loop stalls over ${process.env.CHAOS_LAG_MS} ms (counted in the error events): ${ms.length}, longest ${longest} ms`,
  ];
}
