// The chaos runner: `npm run chaos [-- --quick] [-- --only <scenario>]`. Starts a recorder
// redis-server for the history, runs each scenario (each against its own queue redis-server,
// with real worker and producer processes), checks each history, prints the figures and writes
// chaos/results/<out>.json and .md. Exits 1 when a check failed (a lost job, a stale
// completion, an unexplained duplicate) or a scenario could not run.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRedis } from '../src/testing/index.js';
import { clearHistory, HistoryWriter } from './lib/history.js';
import { textTable, writeResults, type RunInfo } from './lib/report.js';
import { clientFaults } from './scenarios/client-faults.js';
import { clusterFailover } from './scenarios/cluster-failover.js';
import { freezeIdle } from './scenarios/freeze-idle.js';
import { freezeMany } from './scenarios/freeze-many.js';
import { freezeWorker } from './scenarios/freeze-worker.js';
import { fuzz } from './scenarios/fuzz.js';
import { killBacklog } from './scenarios/kill-backlog.js';
import { killWorkers } from './scenarios/kill-workers.js';
import { maxmemory } from './scenarios/maxmemory.js';
import { ordered } from './scenarios/ordered.js';
import { partition } from './scenarios/partition.js';
import { redisRestart } from './scenarios/redis-restart.js';
import { sentinelFailover } from './scenarios/sentinel-failover.js';
import { soak } from './scenarios/soak.js';
import type { Scenario, ScenarioOutcome } from './scenarios/types.js';
import { clockSkew } from './scenarios/clock-skew.js';

const SCENARIOS: Scenario[] = [
  killWorkers,
  killBacklog,
  freezeWorker,
  freezeIdle,
  freezeMany,
  redisRestart,
  ordered,
  clientFaults,
  partition,
  maxmemory,
  clockSkew,
  clusterFailover,
  sentinelFailover,
  fuzz,
  soak,
];

const USAGE = `usage: npm run chaos -- [options]
  --quick         short versions of every scenario (about 8 min, plus the build)
  --only x,y      scenarios whose id starts with x or y (${SCENARIOS.map((s) => s.id).join(', ')})
  --out NAME      results file name under chaos/results (default latest)`;

function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src', 'lua') ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string', default: 'latest' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const only = values.only?.split(',').filter(Boolean);
  const chosen = only ? SCENARIOS.filter((s) => only.some((o) => s.id.startsWith(o) || o.startsWith(s.id))) : SCENARIOS;
  if (chosen.length === 0) {
    console.error(`no scenario matches --only ${values.only}\n${USAGE}`);
    return 2;
  }
  const quick = values.quick;
  const started = Date.now();
  const recorder = await startRedis({ url: null });
  const history = new HistoryWriter(recorder.url);
  const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}`);
  const outcomes: ScenarioOutcome[] = [];
  let crashed = false;
  try {
    for (const scenario of chosen) {
      await clearHistory(recorder.url);
      try {
        const results = await scenario.run({ quick, recorderUrl: recorder.url, history, log });
        for (const o of results) log(`${o.id}: ${o.failures.length === 0 ? 'pass' : `FAIL (${o.failures.join('; ')})`}`);
        outcomes.push(...results);
      } catch (err) {
        crashed = true;
        console.error(`scenario ${scenario.id} could not run:`, err);
      }
    }
  } finally {
    await history.close();
    await recorder.stop();
  }
  const info: RunInfo = {
    mode: quick ? 'quick' : 'full',
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    revision: revision(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`,
  };
  console.log(`\n${textTable(outcomes)}\n`);
  writeResults(fileURLToPath(new URL('../../chaos/results/', import.meta.url)), values.out, info, outcomes);
  console.log(`results: chaos/results/${values.out}.json and .md; ${(info.durationMs / 1000).toFixed(0)} s in all`);
  return crashed || outcomes.some((o) => o.failures.length > 0) ? 1 : 0;
}

process.exit(await main());
