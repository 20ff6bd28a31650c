// Scenario "soak": a steady rate of mixed work for 2 minutes (quick) or an hour (full), with
// retention, so the queue reaches a steady state: plain jobs, random failures with retries,
// delayed jobs, two repeating schedulers, two consumer groups (fan-out), the second one rate
// limited, and adds in bursts so that the limit binds. No fault is injected: it checks what a
// long quiet run must keep (nothing lost, no duplicate, nothing early or late, every slot once,
// the limit held, every job in both groups) and that Redis and the workers stay flat in memory.
import { pino } from 'pino';
import { Queue } from '../../src/index.js';
import type { ProducerChildConfig, QueueAddress } from '../lib/child-config.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import { sampleMemory } from '../lib/memory.js';
import { sleep, startQueueRedis } from './common.js';
import { judgeSoak, type SoakPlan } from './soak-judge.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  seconds: number;
  /** Adds per second, in bursts of burstMs. */
  rate: number;
  sampleMs: number;
  warmUpMs: number;
}

const QUICK: Size = { seconds: 120, rate: 100, sampleMs: 10_000, warmUpMs: 30_000 };
const FULL: Size = { seconds: 3_600, rate: 50, sampleMs: 60_000, warmUpMs: 300_000 };
// long: no fault is injected, so a lease must not run out while other runs starve the CPU
// (a job leased ahead holds leaseMs / 6 until it starts)
const LEASE_MS = 30_000;
const FAIL_RATE = 0.1;
const BURST_MS = 500;
const DELAY_RATE = 0.2;
const DELAY_MAX_MS = 5_000;
const SCHEDULERS = new Map([
  ['tick-2s', 2_000],
  ['tick-5s', 5_000],
]);
const RETENTION = { removeOnComplete: { count: 1_000, age: 60 }, removeOnFail: { count: 200, age: 60 } };
const GROUPS = ['default', 'audit'];

/** Waits until both groups have nothing waiting, active or delayed, twice in a row (or `timeoutMs` passed). */
async function waitIdle(queue: Queue, groups: string[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let idleOnce = false;
  while (Date.now() < deadline) {
    let busy = 0;
    for (const group of groups) {
      const c = await queue.getJobCounts({ group });
      busy += c.waiting + c.active + c.delayed;
    }
    if (busy === 0 && idleOnce) return Date.now();
    idleOnce = busy === 0;
    await sleep(250);
  }
  return Date.now();
}

/** Waits until every group is a consumer group in Redis (their workers created them). */
async function waitGroups(queue: Queue, groups: string[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const listed = await queue.getGroups();
    if (groups.every((g) => listed.some((l) => l.name === g && !l.implicit))) return;
    await sleep(100);
  }
  throw new Error(`soak: the groups ${groups.join(', ')} were not created by their workers`);
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const size = ctx.quick ? QUICK : FULL;
  const limit = { max: Math.round((size.rate * 1.2) / 4), duration: 250 };
  const plan: SoakPlan = {
    groups: GROUPS,
    limited: { group: 'audit', ...limit },
    schedulers: SCHEDULERS,
    lateToleranceMs: 1_000,
    warmUpMs: size.warmUpMs,
    redisGrowth: 0.2,
    redisSlack: 2 * 2 ** 20,
    rssGrowth: 0.25,
    rssSlack: 16 * 2 ** 20,
  };
  const params =
    `${size.seconds} s of adds at ${size.rate}/s in bursts every ${BURST_MS} ms (jobs of 0–20 ms, attempts 3, fixed backoff 100 ms; ` +
    `${DELAY_RATE * 100} % delayed 1–${DELAY_MAX_MS} ms); ` +
    `schedulers ${[...SCHEDULERS].map(([k, ms]) => `${k} every ${ms} ms`).join(', ')}; ` +
    `groups default (3 workers × concurrency 10, ${FAIL_RATE * 100} % of attempts fail) and audit (2 workers × concurrency 10, ` +
    `limiter ${limit.max} per ${limit.duration} ms); leaseMs ${LEASE_MS}; retention removeOnComplete ` +
    `{ count ${RETENTION.removeOnComplete.count}, age ${RETENTION.removeOnComplete.age} s }, removeOnFail ` +
    `{ count ${RETENTION.removeOnFail.count}, age ${RETENTION.removeOnFail.age} s }; memory sampled every ${size.sampleMs / 1000} s`;
  ctx.log(`soak: ${params}`);
  const redis = await startQueueRedis();
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: 'soak', recorderUrl: ctx.recorderUrl };
  const queue = new Queue(address.queue, { connection: address.url, prefix: address.prefix, logger: pino({ level: 'silent' }) });
  const base = { ...address, concurrency: 10, leaseMs: LEASE_MS, ignoreAbort: false };
  const main = new Fleet(ctx.history, { ...base, failRate: FAIL_RATE });
  const audit = new Fleet(ctx.history, { ...base, group: 'audit', limiter: limit });
  try {
    await Promise.all([main.start(), main.start(), main.start(), audit.start(), audit.start()]);
    await waitGroups(queue, GROUPS);
    const t0 = Date.now();
    const sampler = sampleMemory(address.url, () => [...main.workers, ...audit.workers].map((w) => w.pid), size.sampleMs);
    for (const [key, every] of SCHEDULERS) {
      const opts = { attempts: 3, backoff: { type: 'fixed' as const, delay: 100 }, ...RETENTION };
      await queue.upsertScheduler(key, { every }, { name: 'tick', data: { seq: -1, ms: 2 }, opts });
    }
    const producer: ProducerChildConfig = {
      ...address,
      count: size.rate * size.seconds,
      firstSeq: 0,
      rate: size.rate,
      burstMs: BURST_MS,
      msMin: 0,
      msMax: 20,
      attempts: 3,
      backoffMs: 100,
      delayRate: DELAY_RATE,
      delayMaxMs: DELAY_MAX_MS,
      ...RETENTION,
    };
    const { added, rejected } = await startProducer(producer).done;
    for (const key of SCHEDULERS.keys()) await queue.removeScheduler(key);
    ctx.log(`soak: ${added} added (${rejected} rejected) in ${((Date.now() - t0) / 1000).toFixed(0)} s; waiting for both groups to drain`);
    const drainedAt = await waitIdle(queue, GROUPS, DELAY_MAX_MS + 30_000);
    const samples = await sampler.stop();
    await Promise.all([main.closeAll(), audit.closeAll()]);
    const judged = await judgeSoak(address, plan, samples);
    return [
      {
        id: 'soak',
        title: 'steady mixed work with retention: retries, delays, schedulers, fan-out, a rate limit; memory flat',
        params,
        check: judged.check,
        elapsedMs: drainedAt - t0,
        drainAfterLastFaultMs: undefined,
        notes: judged.notes,
        failures: judged.failures,
      },
    ];
  } finally {
    await Promise.all([main.closeAll(), audit.closeAll()]);
    await queue.close().catch(() => undefined);
    await redis.stop();
  }
}

export const soak: Scenario = { id: 'soak', run };
