// Scenario 12, partitions: does a partitioned queue spread its Redis work over a
// cluster's masters? sluice only — BullMQ and Bee-Queue cannot split one queue over shards.
// In one turn, on a private M-master Redis Cluster (redis-cluster.ts, default 3 masters) and on
// the turn's standalone Redis, the same workload each time — `jobs` jobs of the usual ~75-byte
// payload, removed on completion, pre-filled through the Queue's addBulk (partition-producer.ts) and
// then drained by one worker process at `concurrency` — in four cases:
//   (d) standalone Redis, a plain queue (the reference);
//   (a) the cluster, a plain queue: one master does everything;
//   (b) the cluster, partitions: M (one partition per master);
//   (c) the cluster, partitions: 2M (two per master).
// Per master: Redis CPU (INFO cpu) and commands (INFO commandstats) per job, as deltas around
// the drain, over all jobs and over the jobs of the master's own partitions (the producer counts
// them). Per case: jobs/s, worker CPU per job, total Redis CPU per job, the busiest master's
// CPU per job and its ratio to (a)'s (the target is 1/M). The projection: if every master had a
// core of its own, a cluster's ceiling is 1 / (the busiest master's CPU seconds per job); for M
// masters from (b), for 2M masters from (c) counted per partition (one partition per master).
// What else bounds that rate: the worker CPU it needs (rate × worker CPU per job, in cores) and
// the round trips (script calls) per second each master must serve. The report: partitions-report.ts.
import { loadavg } from 'node:os';
import { partitionKeys } from '../../src/partitions/layout.js';
import { fillPartitions } from '../lib/partition-producer.js';
import { ChildHandle } from '../lib/protocol.js';
import { startRedisCluster, type RedisCluster } from '../lib/redis-cluster.js';
import { diffSnapshots, type RedisDelta, type RedisSnapshot } from '../lib/redis-server.js';
import type { WorkerChildConfig, WorkerChildResult } from '../worker-child.js';
import { budgetMs, commandsPerJob, metric, type MetricDef, type Scenario, type TurnContext } from './types.js';

export interface PartitionsConfig {
  jobs: number;
  concurrency: number;
  /** Masters of the cluster. */
  masters: number;
  /** Jobs per enqueue call of the producer. */
  batch: number;
}

type CaseId = 'd' | 'a' | 'b' | 'c';

interface CaseSpec {
  id: CaseId;
  label: string;
  where: 'standalone' | 'cluster';
  partitions: number;
}

/** One master's (or the standalone server's) share of a case's work. */
export interface MasterFigures {
  port: number;
  /** The queue's partitions this master serves. */
  partitions: number;
  cpuUsPerJob: number;
  callsPerJob: number;
  /** Script calls (EVALSHA and the like) per job: the client round trips it served, about. */
  scriptCallsPerJob: number;
  /** The jobs this master's partitions were given (and processed: every job is). */
  ownJobs: number;
  /** Per job of its own: commands and CPU µs over ownJobs (null on a master without partitions). */
  callsPerOwnJob: number | null;
  cpuUsPerOwnJob: number | null;
  commandsPerJob: Record<string, number>;
}

export interface CaseResult {
  id: CaseId;
  label: string;
  partitions: number;
  jobs: number;
  elapsedMs: number;
  rate: number;
  steadyRate: number;
  workerCpuUsPerJob: number;
  redisCpuUsPerJob: number;
  maxMasterCpuUsPerJob: number;
  /** Index (in `masters`) of the busiest master. */
  busiest: number;
  masters: MasterFigures[];
}

export interface Projection {
  masters: number;
  from: CaseId;
  /** The busiest master's Redis CPU per job, µs, with one partition per master. */
  busiestCpuUsPerJob: number;
  /** 1 / busiest master's CPU seconds per job: the rate at which that master's core is full. */
  ceiling: number;
  /** Worker CPU at that rate, in cores (measured worker CPU per job × ceiling). */
  workerCores: number;
  /** Redis CPU at that rate, all masters together, in cores. */
  redisCores: number;
  /** Script calls per second the busiest master serves at that rate. */
  scriptCallsPerSecond: number;
}

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall', 'fcall_ro']);

function cases(masters: number): CaseSpec[] {
  return [
    { id: 'd', label: 'standalone Redis, plain queue', where: 'standalone', partitions: 1 },
    { id: 'a', label: `${masters}-master cluster, plain queue`, where: 'cluster', partitions: 1 },
    { id: 'b', label: `${masters}-master cluster, partitions: ${masters}`, where: 'cluster', partitions: masters },
    { id: 'c', label: `${masters}-master cluster, partitions: ${2 * masters}`, where: 'cluster', partitions: 2 * masters },
  ];
}

function masterFigures(port: number, partitions: number, ownJobs: number, delta: RedisDelta, jobs: number): MasterFigures {
  let scripts = 0;
  for (const [name, c] of Object.entries(delta.commands)) if (SCRIPT_COMMANDS.has(name)) scripts += c.calls;
  return {
    port,
    partitions,
    cpuUsPerJob: delta.cpuUs / jobs,
    callsPerJob: delta.calls / jobs,
    scriptCallsPerJob: scripts / jobs,
    ownJobs,
    callsPerOwnJob: ownJobs > 0 ? delta.calls / ownJobs : null,
    cpuUsPerOwnJob: ownJobs > 0 ? delta.cpuUs / ownJobs : null,
    commandsPerJob: commandsPerJob(delta, jobs),
  };
}

async function runCase(ctx: TurnContext, cluster: RedisCluster, spec: CaseSpec, c: PartitionsConfig): Promise<CaseResult> {
  const onCluster = spec.where === 'cluster';
  const servers = onCluster ? cluster.masters : [{ port: ctx.redis.port, snapshot: () => ctx.redis.snapshot() }];
  if (onCluster) await cluster.flushAll();
  else await ctx.redis.flushAll();
  const queue = ctx.queue(`${spec.id}${spec.partitions}`);
  const prefix = 'sluice';
  // where each partition lives (a standalone server holds them all)
  const home = partitionKeys(prefix, queue, spec.partitions).map((keys) => (onCluster ? cluster.masterOf(keys.stream) : 0));
  const perServer = servers.map((_, i) => home.filter((h) => h === i).length);
  const connection = onCluster ? cluster.seeds : { host: ctx.redis.host, port: ctx.redis.port };
  const given = await fillPartitions({ connection, prefix, queue, partitions: spec.partitions }, c.jobs, c.batch);
  // each master's own jobs: those its partitions were given
  const ownJobs = servers.map((_, i) => given.reduce((sum, n, p) => sum + (home[p] === i ? n : 0), 0));

  const worker = await ChildHandle.fork('worker-child', `sluice worker (${spec.id})`, {
    lib: 'sluice',
    redis: { host: ctx.redis.host, port: ctx.redis.port },
    cluster: onCluster ? cluster.seeds : undefined,
    // the plain queue leaves the option out, as a user of an unpartitioned queue would
    partitions: spec.partitions > 1 ? spec.partitions : undefined,
    queue,
    concurrency: c.concurrency,
    expected: c.jobs,
    retention: 'remove',
    latency: false,
  } satisfies WorkerChildConfig);
  let result: WorkerChildResult;
  let before: RedisSnapshot[];
  let after: RedisSnapshot[];
  try {
    before = await Promise.all(servers.map((s) => s.snapshot()));
    worker.send({ type: 'start' });
    result = (await worker.waitFor('done', budgetMs(c.jobs))).result as WorkerChildResult;
    after = await Promise.all(servers.map((s) => s.snapshot()));
  } finally {
    await worker.stop();
  }
  if (result.failed > 0) throw new Error(`${result.failed} jobs failed in the worker (${spec.label})`);
  const masters = servers.map((s, i) => masterFigures(s.port, perServer[i]!, ownJobs[i]!, diffSnapshots(before[i]!, after[i]!), c.jobs));
  let busiest = 0;
  masters.forEach((m, i) => {
    if (m.cpuUsPerJob > masters[busiest]!.cpuUsPerJob) busiest = i;
  });
  return {
    id: spec.id,
    label: spec.label,
    partitions: spec.partitions,
    jobs: c.jobs,
    elapsedMs: result.elapsedMs,
    rate: (c.jobs / result.elapsedMs) * 1000,
    steadyRate: result.steadyRate,
    workerCpuUsPerJob: result.cpuUs / c.jobs,
    redisCpuUsPerJob: masters.reduce((sum, m) => sum + m.cpuUsPerJob, 0),
    maxMasterCpuUsPerJob: masters[busiest]!.cpuUsPerJob,
    busiest,
    masters,
  };
}

/** The ceiling of a cluster of `masters` masters, one partition each, from a measured case. */
function project(masters: number, from: CaseResult): Projection {
  // per partition: a master's CPU shared out over the partitions it served (idle masters: none)
  const perPartition = from.masters.filter((m) => m.partitions > 0).map((m) => ({ ...m, share: m.cpuUsPerJob / m.partitions }));
  const top = perPartition.reduce((a, b) => (b.share > a.share ? b : a));
  const ceiling = 1e6 / top.share;
  return {
    masters,
    from: from.id,
    busiestCpuUsPerJob: top.share,
    ceiling,
    workerCores: (ceiling * from.workerCpuUsPerJob) / 1e6,
    redisCores: (ceiling * from.redisCpuUsPerJob) / 1e6,
    scriptCallsPerSecond: (ceiling * top.scriptCallsPerJob) / top.partitions,
  };
}

export function partitionsScenario(c: PartitionsConfig): Scenario {
  const family = 'partitions';
  const M = c.masters;
  const n = c.jobs.toLocaleString('en-US');
  const only = ['sluice'] as const;
  const m = (key: string, label: string, unit: string, better: 'higher' | 'lower', digits: number, chart: string): MetricDef => ({
    ...metric(family, key, label, unit, better, digits, chart),
    libs: only,
  });
  const metrics = [
    m('d.rate', `(d) drain ${n} jobs, c=${c.concurrency}: standalone, plain`, 'jobs/s', 'higher', 0, 'standalone'),
    m('a.rate', `(a) ${M} masters, plain queue`, 'jobs/s', 'higher', 0, 'cluster, plain'),
    m('b.rate', `(b) ${M} masters, partitions: ${M}`, 'jobs/s', 'higher', 0, `partitions: ${M}`),
    m('c.rate', `(c) ${M} masters, partitions: ${2 * M}`, 'jobs/s', 'higher', 0, `partitions: ${2 * M}`),
    m('a.cpu', '(a) busiest master, Redis CPU per job', 'µs', 'lower', 1, 'busiest master (a)'),
    m('b.cpu', '(b) busiest master, Redis CPU per job', 'µs', 'lower', 1, 'busiest master (b)'),
    m('c.cpu', '(c) busiest master, Redis CPU per job', 'µs', 'lower', 1, 'busiest master (c)'),
    m('b.ratio', `(b) busiest / (a) busiest (target 1/${M})`, '×', 'lower', 2, '(b)/(a)'),
    m('c.ratio', `(c) busiest / (a) busiest (target 1/${M})`, '×', 'lower', 2, '(c)/(a)'),
    m('b.worker', '(b) worker CPU per job', 'µs', 'lower', 1, 'worker CPU (b)'),
    m('proj1', 'ceiling, 1 shard (from a)', 'jobs/s', 'higher', 0, 'ceiling, 1 shard'),
    m(`proj${M}`, `ceiling, ${M} masters with a core each (from b)`, 'jobs/s', 'higher', 0, `ceiling, ${M} masters`),
    m(`proj${2 * M}`, `ceiling, ${2 * M} masters with a core each (from c)`, 'jobs/s', 'higher', 0, `ceiling, ${2 * M} masters`),
  ];
  return {
    id: family,
    family,
    metrics,
    async run(ctx: TurnContext) {
      const load = [loadavg()[0]!];
      const cluster = await startRedisCluster(M);
      const results: Partial<Record<CaseId, CaseResult>> = {};
      try {
        for (const spec of cases(M)) results[spec.id] = await runCase(ctx, cluster, spec, c);
      } finally {
        await cluster.close();
      }
      load.push(loadavg()[0]!);
      const { a, b, c: cc, d } = results as Record<CaseId, CaseResult>;
      const projections = [{ ...project(1, a), masters: 1 }, project(M, b), project(2 * M, cc)];
      const out: Record<string, number> = {};
      for (const r of [a, b, cc, d]) out[`${family}.${r.id}.rate`] = r.rate;
      for (const r of [a, b, cc]) out[`${family}.${r.id}.cpu`] = r.maxMasterCpuUsPerJob;
      out[`${family}.b.ratio`] = b.maxMasterCpuUsPerJob / a.maxMasterCpuUsPerJob;
      out[`${family}.c.ratio`] = cc.maxMasterCpuUsPerJob / a.maxMasterCpuUsPerJob;
      out[`${family}.b.worker`] = b.workerCpuUsPerJob;
      for (const p of projections) out[`${family}.proj${p.masters}`] = p.ceiling;
      return { metrics: out, extra: { redisVersion: cluster.version, loadAverage1m: load, cases: [d, a, b, cc], projections } };
    },
  };
}
