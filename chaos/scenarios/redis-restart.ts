// Scenario "redis-restart": while a producer adds and 4 worker processes run jobs, the queue's
// redis-server is SIGKILLed and restarted on the same port and directory, twice, with AOF
// `appendfsync everysec`, then `always`, then everysec with an OS crash simulated (the AOF's
// last second cut off at each kill: lib/aof-tail.ts). `always` must lose nothing, and so must
// `everysec` when only the process dies: Redis writes each write to the AOF (the page cache)
// before it replies, so a lost acknowledged job fails both. (Redis's own exception: while its
// background fsync runs, it postpones AOF writes, up to 2 s, and replies all the same; the Redis
// log's lines for 2 s postponements are reported.) Only the crash variant may lose up to about
// a second of them (what was not fsynced yet); its losses are reported and do not fail the run.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AofTail } from '../lib/aof-tail.js';
import { Fleet, startProducer } from '../lib/fleet.js';
import { clearHistory, readHistory } from '../lib/history.js';
import type { QueueAddress } from '../lib/child-config.js';
import { finish, jitter, sleep, startQueueRedis, verdict, waitDrained } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

interface Size {
  jobs: number;
  rate: number;
  leaseMs: number;
  kills: number;
  firstMs: number;
  everyMs: number;
  downMs: number;
}

const QUICK: Size = { jobs: 6_000, rate: 1_000, leaseMs: 5_000, kills: 2, firstMs: 1_500, everyMs: 2_000, downMs: 1_000 };
const FULL: Size = { jobs: 40_000, rate: 2_000, leaseMs: 5_000, kills: 2, firstMs: 5_000, everyMs: 7_000, downMs: 1_000 };

/** `crash`: everysec, and each kill also cuts the AOF's last second off (an OS crash). */
type Mode = 'everysec' | 'always' | 'crash';

async function variant(ctx: ScenarioContext, mode: Mode): Promise<ScenarioOutcome> {
  const size = ctx.quick ? QUICK : FULL;
  const fsync = mode === 'always' ? 'always' : 'everysec';
  const crash = mode === 'crash' ? ' (simulated OS crash: after each kill the AOF loses what was written in its last 1 s)' : '';
  const params =
    `appendonly yes, appendfsync ${fsync}${crash}; ${size.jobs} jobs (0–5 ms) at ${size.rate}/s; 4 worker processes × concurrency 20, ` +
    `leaseMs ${size.leaseMs}; redis-server SIGKILLed ${size.kills} times (${size.firstMs} ms in, then every ${size.everyMs} ms ±25 %), ` +
    `restarted after ${size.downMs} ms on the same port and directory`;
  ctx.log(`redis-restart: ${params}`);
  await clearHistory(ctx.recorderUrl);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chaos-'));
  const redis = await startQueueRedis(fsync, dir);
  const tail = mode === 'crash' ? new AofTail(dir) : undefined;
  const cut: number[] = [];
  const address: QueueAddress = { url: redis.url, prefix: 'chaos', queue: `restart-${mode}`, recorderUrl: ctx.recorderUrl };
  const fleet = new Fleet(ctx.history, { ...address, concurrency: 20, leaseMs: size.leaseMs, ignoreAbort: false });
  try {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => fleet.start()));
    const producer = startProducer({ ...address, count: size.jobs, firstSeq: 0, rate: size.rate, msMin: 0, msMax: 5 });
    const restarts: number[] = [];
    await sleep(size.firstMs);
    for (let k = 0; k < size.kills; k++) {
      if (k > 0) await sleep(jitter(size.everyMs));
      await redis.kill('SIGKILL'); // resolves once redis-server has exited: record it then
      const killedAt = Date.now();
      await ctx.history.write({ k: 'fault', what: 'redis-kill', pid: 0, t: killedAt });
      if (tail) cut.push(tail.cutTail(killedAt, 1_000));
      await sleep(size.downMs);
      await redis.restart();
      restarts.push(Date.now());
      await ctx.history.write({ k: 'fault', what: 'redis-start', pid: 0, t: restarts.at(-1)! });
    }
    const { added, rejected } = await producer.done;
    ctx.log(`redis-restart ${mode}: ${added} adds acknowledged, ${rejected} rejected; waiting for the queue to drain`);
    const drainedAt = await waitDrained(address, added, size.leaseMs * 3);
    const check = await finish(fleet, address);
    const dones = (await readHistory(ctx.recorderUrl)).flatMap((r) => (r.k === 'done' ? [r.t] : [])).sort((a, b) => a - b);
    const firstAfter = restarts.map((t) => {
      const next = dones.find((d) => d >= t);
      return next === undefined ? 'none' : `${next - t} ms`;
    });
    const notes = [
      `first completion after each restart: ${firstAfter.join(', ')}`,
      `adds rejected while Redis was down: ${rejected}; worker error events: ${check.workerErrors}`,
      `lost events ${check.lostEvents}, of which the job's stored result is that delivery's own (an ack that landed): ` +
        `${check.lostEventsWithStoredResult}`,
    ];
    if (fsync === 'everysec') {
      // Redis logs this when its fsync ran 2 s and it wrote without waiting; shorter waits postpone
      // the AOF write silently while replies go out: the one way a process kill loses acknowledged writes
      const log = join(dir, 'redis.log');
      const slow = existsSync(log)
        ? readFileSync(log, 'utf8')
            .split('\n')
            .filter((l) => l.includes('AOF fsync is taking too long')).length
        : 0;
      notes.push(`Redis log lines "Asynchronous AOF fsync is taking too long" (AOF writes postponed behind a slow fsync): ${slow}`);
    }
    if (mode === 'crash') notes.push(`acknowledged adds lost to the OS crash (reported, not a failure): ${check.lost}`);
    if (tail) {
      notes.push(
        `AOF bytes cut off at each kill: ${cut.join(', ')}; starts after an accepted completion (completions rolled back): ` +
          `${check.startsAfterCompletion}`,
      );
    }
    return {
      id: `redis-restart-${mode}`,
      title: `SIGKILL and restart of redis-server, appendfsync ${fsync}${mode === 'crash' ? ', OS crash simulated' : ''}`,
      params,
      check,
      elapsedMs: drainedAt - t0,
      drainAfterLastFaultMs: drainedAt - (restarts.at(-1) ?? t0),
      notes,
      failures: verdict(check, { lossTolerated: mode === 'crash' }),
    };
  } finally {
    tail?.stop();
    await fleet.closeAll();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  return [await variant(ctx, 'everysec'), await variant(ctx, 'always'), await variant(ctx, 'crash')];
}

export const redisRestart: Scenario = { id: 'redis-restart', run };
