// The fuzz pass of chaos/fuzz at a fixed seed and a few hundred cases, so that `npm test` keeps
// it: random calls of the public API end in success (the job round-trips) or a typed error, and
// random corruption planted in Redis while workers run ends dead-lettered, dropped or reported
// typed, with every normal job completed. FUZZ_SEED=<n> replays another seed; the chaos scenario
// `fuzz` runs many more cases (chaos/README.md).
import { describe, expect, it } from 'vitest';
import { runApiFuzz } from '../../chaos/fuzz/api-fuzz.js';
import { runCorruptionFuzz } from '../../chaos/fuzz/corrupt-fuzz.js';
import { fuzzSeed } from '../../chaos/fuzz/prng.js';
import { startRedis, uniquePrefix, type TestRedis } from '../../src/testing/index.js';
import { afterAll, beforeAll } from 'vitest';

describe('fuzz', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis({ url: null });
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const seed = fuzzSeed(20261202);

  it(`API calls with random options, payloads, ids and names (seed ${seed})`, async () => {
    const r = await runApiFuzz({ url: redis.url, prefix: uniquePrefix(), seed, cases: Number(process.env.FUZZ_CASES ?? 400) });
    console.log(r.tally.summary('api fuzz'), `; ${r.roundTrips} round trips checked`);
    expect(r.tally.problems).toEqual([]);
    expect(r.roundTrips).toBeGreaterThan(20);
  });

  it(`corruption planted in Redis while workers run (seed ${seed})`, async () => {
    const r = await runCorruptionFuzz({
      url: redis.url,
      prefix: uniquePrefix(),
      seed,
      cases: Number(process.env.FUZZ_CORRUPTIONS ?? 150),
      normalJobs: 400,
      spreadMs: 3000,
    });
    console.log(r.tally.summary('corruption fuzz'), `; normal jobs completed ${r.normalCompleted}`);
    console.log(
      [...r.byKind.entries()]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join('\n'),
    );
    expect(r.tally.problems).toEqual([]);
    expect(r.normalCompleted).toBe(400);
  });
});
