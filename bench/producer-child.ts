// The producer process of the bench (forked by scenarios; never run by hand). It adds `count`
// jobs, each carrying its add time, in one of five ways: 'batches': single add() calls awaited
// in parallel batches of `window`; 'bulk': the library's bulk call, `window` jobs per call;
// 'stream': single add() calls with `window` of them always in flight; 'paced': one add()
// every `intervalMs`, on a schedule that does not drift; 'lockstep': one add() per 'next' from
// the parent (the first starts it, each later one relays a worker's completion), so that one
// job is in flight. With `delays`, every job is delayed by a pseudo-random whole number of ms
// in [minMs, maxMs] (the same for job i in every turn), carried in its data as `d`.
import { childConfig, sendToParent, serveChild } from './lib/protocol.js';
import type { RedisAddress } from './lib/redis-server.js';
import { sleep } from './lib/cleanup.js';
import { unitHash } from './lib/stats.js';
import {
  loadAdapter,
  payload,
  type AddOptions,
  type LibName,
  type Payload,
  type ProducerHandle,
  type Retention,
} from './adapters/types.js';

export interface ProducerChildConfig {
  lib: LibName;
  redis: RedisAddress;
  queue: string;
  count: number;
  retention: Retention;
  mode: 'batches' | 'bulk' | 'stream' | 'paced' | 'lockstep';
  window: number;
  intervalMs: number;
  delays?: { minMs: number; maxMs: number };
}

export interface ProducerChildResult {
  added: number;
  elapsedMs: number;
  rate: number;
  /** paced mode: how far behind schedule the last add started (ms). */
  lagMs: number;
}

const config = childConfig<ProducerChildConfig>();
const adapter = await loadAdapter(config.lib);
let producer: ProducerHandle | undefined;

/** Job i's data and options: its add time (now), and its delay when the config has delays. */
function job(i: number): { data: Payload; opts?: AddOptions } {
  const data = payload(i);
  if (!config.delays) return { data };
  const { minMs, maxMs } = config.delays;
  data.d = minMs + Math.floor(unitHash(i, 1) * (maxMs - minMs + 1));
  return { data, opts: { delayMs: data.d } };
}

async function stream(p: ProducerHandle): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < config.count) {
      const { data, opts } = job(next++);
      await p.add(data, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.window, config.count) }, lane));
}

async function batches(p: ProducerHandle, bulk: boolean): Promise<void> {
  for (let i = 0; i < config.count; i += config.window) {
    const chunk = Array.from({ length: Math.min(config.window, config.count - i) }, (_, k) => job(i + k));
    if (bulk)
      await p.addBulk(
        chunk.map((j) => j.data),
        config.delays ? chunk.map((j) => j.opts) : undefined,
      );
    else await Promise.all(chunk.map((j) => p.add(j.data, j.opts)));
  }
}

// 'next' messages not yet waited for (a completion can arrive before the add's own reply)
let credits = 0;
let wake: (() => void) | undefined;

function nextCompletion(): Promise<void> {
  if (credits > 0) {
    credits--;
    return Promise.resolve();
  }
  return new Promise((resolve) => (wake = resolve));
}

async function lockstep(p: ProducerHandle): Promise<void> {
  for (let i = 0; i < config.count; i++) {
    await nextCompletion();
    const { data, opts } = job(i);
    await p.add(data, opts);
  }
}

async function paced(p: ProducerHandle, start: number): Promise<number> {
  const pending: Promise<void>[] = [];
  let lag = 0;
  for (let i = 0; i < config.count; i++) {
    const due = start + i * config.intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    lag = performance.now() - due;
    const { data, opts } = job(i);
    pending.push(p.add(data, opts));
  }
  await Promise.all(pending);
  return lag;
}

serveChild({
  async onStart() {
    producer = await adapter.producer(config.redis, config.queue, config.retention);
    sendToParent({ type: 'running' });
    const t0 = performance.now();
    let lagMs = 0;
    if (config.mode === 'paced') lagMs = await paced(producer, t0);
    else if (config.mode === 'lockstep') await lockstep(producer);
    else if (config.mode === 'stream') await stream(producer);
    else await batches(producer, config.mode === 'bulk');
    const elapsedMs = performance.now() - t0;
    const result: ProducerChildResult = { added: config.count, elapsedMs, rate: (config.count / elapsedMs) * 1000, lagMs };
    sendToParent({ type: 'done', result });
  },
  async onStop() {
    await producer?.close();
  },
  onMessage(msg) {
    if (msg.type !== 'next') return;
    if (wake) {
      const w = wake;
      wake = undefined;
      w();
    } else credits++;
  },
});
