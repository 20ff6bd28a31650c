// Scenario `fuzz` ("bad input, at scale"): the API fuzz and the corruption fuzz of
// chaos/fuzz against a private redis-server, with a printed seed (FUZZ_SEED=<n> replays it). It
// fails on any untyped error, unexpected error class, hang, crash or stopped worker, job that did
// not round-trip, corrupted job stuck active, or normal job affected. Its figures are case counts.
import { runApiFuzz } from '../fuzz/api-fuzz.js';
import { runCorruptionFuzz } from '../fuzz/corrupt-fuzz.js';
import { fuzzSeed } from '../fuzz/prng.js';
import { emptyCheck, type CheckResult } from '../lib/check.js';
import { startQueueRedis } from './common.js';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './types.js';

/** The history checker's figures do not apply here: only the jobs counted are filled in. */
function counts(acked: number, completed: number, deadLettered: number, lost: number): CheckResult {
  return { ...emptyCheck(), acked, completed, deadLettered, lost };
}

async function run(ctx: ScenarioContext): Promise<ScenarioOutcome[]> {
  const seed = fuzzSeed();
  const sizes = ctx.quick
    ? { api: 3000, corruptions: 300, normal: 1500, spreadMs: 6000 }
    : { api: 60_000, corruptions: 6000, normal: 30_000, spreadMs: 60_000 };
  ctx.log(`fuzz: seed ${seed} (FUZZ_SEED=${seed} replays it); ${sizes.api} API cases, ${sizes.corruptions} corruptions`);
  const started = Date.now();
  const redis = await startQueueRedis();
  try {
    const api = await runApiFuzz({ url: redis.url, prefix: 'fz-api', seed, cases: sizes.api, log: ctx.log });
    ctx.log(api.tally.summary('api fuzz'));
    const corrupt = await runCorruptionFuzz({
      url: redis.url,
      prefix: 'fz-corrupt',
      seed,
      cases: sizes.corruptions,
      normalJobs: sizes.normal,
      spreadMs: sizes.spreadMs,
      settleMs: ctx.quick ? 20_000 : 60_000,
      log: ctx.log,
    });
    ctx.log(corrupt.tally.summary('corruption fuzz'));
    const deadLettered = [...corrupt.byKind.entries()].filter(([k]) => k.endsWith(': dead-lettered')).reduce((s, [, n]) => s + n, 0);
    const byKind = [...corrupt.byKind.entries()].sort().map(([k, n]) => `${k} ${n}`);
    return [
      {
        id: 'fuzz',
        title: 'bad input at scale: random API calls, and corruption planted in Redis while workers run',
        params:
          `seed ${seed}; ${sizes.api} API calls (8 at a time, 5 s each at most) on 4 queues with 2 workers; ` +
          `${sizes.corruptions} corruptions over ${sizes.spreadMs / 1000} s beside ${sizes.normal} normal jobs, ` +
          '2 workers × concurrency 4 (leaseMs 2000, maxStalls 1) and a QueueEvents',
        check: counts(api.roundTrips + sizes.normal, corrupt.normalCompleted, deadLettered, sizes.normal - corrupt.normalCompleted),
        elapsedMs: Date.now() - started,
        drainAfterLastFaultMs: undefined,
        notes: [
          `${api.tally.summary('API calls')}; ${api.roundTrips} jobs round-tripped to a worker`,
          `${corrupt.tally.summary('corruptions')}; normal jobs completed ${corrupt.normalCompleted} of ${sizes.normal}`,
          `corruption outcomes by kind: ${byKind.join(', ')}`,
        ],
        failures: [...api.tally.problems, ...corrupt.tally.problems].concat(
          api.tally.problemCount + corrupt.tally.problemCount > api.tally.problems.length + corrupt.tally.problems.length
            ? [`${api.tally.problemCount + corrupt.tally.problemCount} problems in all`]
            : [],
        ),
      },
    ];
  } finally {
    await redis.stop();
  }
}

export const fuzz: Scenario = { id: 'fuzz', run };
