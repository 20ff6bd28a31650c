// What a worker runs for one queue — or, on a partitioned queue (docs/partitions.md), for one
// of its partitions: the lease loop with its blocking connection, its lease keeper, settlement,
// scheduler firer and job runner, all bound to that queue's (or partition's) keys. The Worker
// makes one per partition; they share its command connection, its concurrency (slot-pool.ts)
// and its events. It does not connect, start or stop itself: the Worker (worker.ts) does.
import type { Redis } from 'ioredis';
import type { BackoffStrategy } from '../job/backoff.js';
import type { Logger } from '../logger.js';
import type { QueueKeys } from '../redis/keys.js';
import { Scripts } from '../redis/scripts.js';
import { workerTagOf } from '../redis/lease-token.js';
import { SchedulerFirer } from '../scheduling/due-schedulers.js';
import { prepareGroup } from '../fanout/groups.js';
import type { GroupLimits } from '../flow-control/rate-limit.js';
import { JobRunner } from './job-runner.js';
import { LeaseGuard } from './lease-guard.js';
import { LeaseKeeper } from './lease-keeper.js';
import { CONSUMER } from './lease-calls.js';
import { Settlement } from './settlement.js';
import type { SlotPool } from './slot-pool.js';
import { WakeWaiter } from './wake-waiter.js';
import type { Processor, WorkerEvents } from './worker-api.js';
import { WorkerLoop } from './worker-loop.js';
import { RateGate } from '../partitions/rate-gate.js';
import type { ResolvedWorkerOptions } from './worker-options.js';
import type { MetricsRecorder } from '../metrics/recorder.js';

/** What a consumer reports: the Worker's events. */
export type ConsumerEvents<Data, Result> = Pick<WorkerEvents<Data, Result>, 'active' | 'completed' | 'failed' | 'stalled' | 'lost'> & {
  error(err: unknown): void;
};

export interface ConsumerContext<Data, Result> {
  /** The queue's name (a partition keeps its queue's name; only its keys differ). */
  queueName: string;
  group: string;
  /** The worker's id (`host:pid:tag`): its lease tokens begin with the tag (redis/lease-token.ts). */
  workerId: string;
  keys: QueueKeys;
  /** The worker's command connection, shared by its consumers. */
  client: Redis;
  /** This consumer's own blocking connection. */
  blocking: Redis;
  processor: Processor<Data, Result>;
  options: ResolvedWorkerOptions;
  backoffStrategies: Record<string, BackoffStrategy>;
  limits: GroupLimits | undefined;
  pool: SlotPool;
  /** Scripts on the queue's own keys: a partition's group rate limit is held there (rate-gate.ts). */
  rootScripts: Scripts;
  logger: Logger;
  isActive(): boolean;
  events: ConsumerEvents<Data, Result>;
  /** Counts what happens to the jobs (src/metrics); undefined with metrics off. */
  metrics?: MetricsRecorder | undefined;
}

export class PartitionConsumer<Data, Result> {
  readonly scripts: Scripts;
  readonly keeper: LeaseKeeper;
  readonly waiter: WakeWaiter;
  readonly runner: JobRunner<Data, Result>;
  readonly firer: SchedulerFirer;
  readonly settlement: Settlement<Data, Result>;
  readonly loop: WorkerLoop<Data, Result>;
  readonly blocking: Redis;
  readonly metrics: MetricsRecorder | undefined;
  private readonly ctx: ConsumerContext<Data, Result>;

  constructor(ctx: ConsumerContext<Data, Result>) {
    this.ctx = ctx;
    const { client, group, options, logger, keys, metrics } = ctx;
    const events = metrics ? metrics.tap(ctx.events) : ctx.events;
    this.metrics = metrics;
    const { leaseMs, maxPayloadBytes, leaseConfigJson } = options;
    this.blocking = ctx.blocking;
    this.scripts = new Scripts(client, keys);
    const jobCtx = { client, scripts: this.scripts, queueName: ctx.queueName, group, maxPayloadBytes };
    this.keeper = new LeaseKeeper(
      this.scripts,
      group,
      leaseMs,
      (jobId) => this.loop.onLeaseLost(jobId),
      logger,
      (jobId, reason) => this.runner.cancel(jobId, reason),
      leaseGuard(client, keys, group, options, logger),
    );
    this.waiter = new WakeWaiter(ctx.blocking, client, options.watchdogGraceMs, logger, events.error);
    this.settlement = new Settlement<Data, Result>(this.scripts, group, CONSUMER, leaseConfigJson, {
      completed: events.completed,
      lost: events.lost,
      error: events.error,
    });
    this.firer = new SchedulerFirer(client, this.scripts, keys, logger, events.error);
    this.runner = new JobRunner<Data, Result>({
      processor: ctx.processor,
      ctx: jobCtx,
      scripts: this.scripts,
      group,
      keeper: this.keeper,
      backoffStrategies: ctx.backoffStrategies,
      telemetry: options.telemetry,
      events: { active: events.active, failed: events.failed, lost: events.lost, error: events.error },
      onAck: (ack) => {
        metrics?.succeeded(ack.job);
        this.loop.onAck(ack);
      },
      // every partition's loop may use the slot (slot-pool.ts)
      onSlotFree: () => ctx.pool.slotFreed(),
    });
    this.loop = new WorkerLoop<Data, Result>({
      client,
      scripts: this.scripts,
      blockingScripts: new Scripts(ctx.blocking, keys),
      group,
      workerTag: workerTagOf(ctx.workerId),
      marker: keys.group(group).wake,
      backupMarker: keys.group(group).wakeBackup,
      runner: this.runner,
      keeper: this.keeper,
      settlement: this.settlement,
      waiter: this.waiter,
      firer: this.firer,
      pool: ctx.pool,
      gate: keys.partition ? { rate: new RateGate(ctx.rootScripts, group), client, marker: keys.group(group).wake } : undefined,
      maxPrefetch: options.maxPrefetch,
      leaseMs,
      aheadMs: options.aheadMs,
      blockMs: options.blockMs,
      watchdogGraceMs: options.watchdogGraceMs,
      leaseConfigJson,
      logger,
      isActive: ctx.isActive,
      ensureGroup: () => this.ensureGroup(),
      onReply: metrics ? (reply) => metrics.leaseReply(reply.limitedNow) : undefined,
      events: { stalled: events.stalled, failed: events.failed, lost: events.lost, error: events.error },
    });
  }

  /** Before leasing (and when the group went missing): see prepareGroup. */
  ensureGroup(): Promise<void> {
    return prepareGroup(this.ctx.client, this.scripts, this.ctx.group, this.ctx.limits, this.ctx.logger);
  }
}

/** The lease guard of this consumer's keeper (lease-guard.ts), unless it is off. */
function leaseGuard(client: Redis, keys: QueueKeys, group: string, options: ResolvedWorkerOptions, logger: Logger): LeaseGuard | undefined {
  if (options.leaseGuardMaxMs === undefined) return undefined;
  const g = keys.group(group);
  return new LeaseGuard(client, { records: g.records, active: g.active, wake: keys.wake, maxBlockedMs: options.leaseGuardMaxMs }, logger);
}
