// Memory samples of a soak run: the queue redis-server's `used_memory` (INFO memory) and the
// RSS of each live worker process (VmRSS in /proc/<pid>/status, Linux), taken every interval
// by the runner. The verdict (flat): once the warm-up is over (retention has filled), the mean
// of the last 3 samples is within `growth` (a share) plus `slackBytes` of the mean of the first
// 3 samples after the warm-up; checked for Redis and for the workers' summed RSS.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';

export interface MemorySample {
  /** ms since the scenario started. */
  at: number;
  redis: number;
  /** Summed RSS of the worker processes (bytes). */
  rss: number;
}

export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // the process is gone
  }
}

/** Samples every `everyMs` until stop() resolves with the samples. */
export function sampleMemory(redisUrl: string, pids: () => number[], everyMs: number): { stop(): Promise<MemorySample[]> } {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const t0 = Date.now();
  const samples: MemorySample[] = [];
  const take = async () => {
    const info = await client.info('memory').catch(() => '');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    samples.push({ at: Date.now() - t0, redis: used, rss: pids().reduce((sum, pid) => sum + rssOf(pid), 0) });
  };
  let pending = take();
  const timer = setInterval(() => {
    pending = pending.then(take);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await pending;
      client.disconnect();
      return samples;
    },
  };
}

export interface FlatResult {
  flat: boolean;
  /** Mean of the first 3 samples after warm-up, and of the last 3. */
  base: number;
  end: number;
  first: number;
  max: number;
}

/** The verdict for one series (see the header); too few samples after warm-up: not flat. */
export function flatness(
  samples: MemorySample[],
  pick: (s: MemorySample) => number,
  warmUpMs: number,
  growth: number,
  slackBytes: number,
): FlatResult {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const after = samples.filter((s) => s.at >= warmUpMs).map(pick);
  const base = mean(after.slice(0, 3));
  const end = mean(after.slice(-3));
  const all = samples.map(pick);
  return {
    flat: after.length >= 4 && end <= base * (1 + growth) + slackBytes,
    base,
    end,
    first: all[0] ?? 0,
    max: Math.max(0, ...all),
  };
}
