// One typed wrapper per Lua script: the only place where KEYS and ARGV arrays are built.
// Keys are given by the names in each script's header, so the order cannot drift.
import type { Redis } from 'ioredis';
import type { QueueKeys } from './keys.js';
import { scriptCaller, type Arg, type ScriptCaller } from './script-caller.js';
import type { ScriptName } from './script-registry.js';
import {
  decodeBatchStep,
  decodeComplete,
  decodeCreateGroup,
  decodeEnqueue,
  decodeLease,
  decodeLog,
  decodeNextDue,
  decodeNextSlot,
  decodeRemoveJob,
  decodeRenewal,
  type BatchStep,
  type CreateGroupResult,
  type EnqueueStatus,
  type LeaseReply,
  type LogResult,
  type RemoveJobResult,
  type StartsGrant,
} from './script-results.js';
import { countArg, type Ack, type EnqueueItem, type FailOutcome } from './script-args.js';

export type { EnqueueStatus, LeasedJobRaw, LeaseReply, StartsGrant } from './script-results.js';
export type { Ack, EnqueueItem, FailOutcome } from './script-args.js';

/** The scripts of one queue, bound to a client. */
export class Scripts {
  private readonly caller: ScriptCaller;

  constructor(
    client: Redis,
    readonly keys: QueueKeys,
  ) {
    this.caller = scriptCaller(client);
  }

  private run(op: ScriptName, keys: Record<string, string>, args: Arg[]): Promise<unknown> {
    return this.caller.call(op, keys, args);
  }

  private leaseKeys(group: string): Record<string, string> {
    const g = this.keys.group(group);
    return {
      stream: this.keys.stream,
      wake: this.keys.wake,
      groups: this.keys.groups,
      delayed: this.keys.delayed,
      wait: g.wait,
      active: g.active,
      retry: g.retry,
      prio: g.prio,
      failed: g.failed,
      paused: g.paused,
      schedulers: this.keys.schedulers,
      limiter: g.limiter,
    };
  }

  async enqueue(items: EnqueueItem[]): Promise<{ now: number; jobs: { id: string; status: EnqueueStatus }[] }> {
    const part = this.keys.partition;
    const args: Arg[] = [this.keys.base, part ? `${part.index}:${part.count}` : ''];
    for (const it of items) args.push(it.id, it.name, it.data, it.opts, it.schedule);
    const reply = await this.run(
      'enqueue',
      { id: this.keys.id, stream: this.keys.stream, delayed: this.keys.delayed, groups: this.keys.groups, wake: this.keys.wake },
      args,
    );
    return decodeEnqueue(reply as unknown[]);
  }

  /** `slots`: how many of the `count` jobs start at once (the others get the short first lease). */
  async lease(group: string, consumer: string, nonce: string, count: number, config: string, slots = count): Promise<LeaseReply> {
    const reply = (await this.run('lease', this.leaseKeys(group), [
      this.keys.base,
      group,
      consumer,
      nonce,
      countArg(count, slots),
      config,
    ])) as unknown[];
    return decodeLease(reply, 0, nonce);
  }

  async complete(
    group: string,
    consumer: string,
    nonce: string,
    count: number,
    config: string,
    acks: Ack[],
    slots = count,
  ): Promise<{ refused: string[]; lease: LeaseReply }> {
    const args: Arg[] = [this.keys.base, group, consumer, nonce, countArg(count, slots), config];
    for (const a of acks) args.push(a.id, a.resent ? `=${a.token}` : a.token, a.returnvalue, a.keep[0], a.keep[1]);
    const keys = { ...this.leaseKeys(group), completed: this.keys.group(group).completed };
    return decodeComplete((await this.run('complete', keys, args)) as unknown[], nonce);
  }

  async fail(group: string, id: string, token: string, outcome: FailOutcome): Promise<boolean> {
    const g = this.keys.group(group);
    const reply = await this.run('fail', { active: g.active, wait: g.wait, retry: g.retry, failed: g.failed, wake: this.keys.wake }, [
      this.keys.base,
      group,
      id,
      token,
      JSON.stringify(outcome),
    ]);
    return Number(reply) === 1;
  }

  /** Renews leases: the ids whose lease is lost, and the [id, reason] of renewed jobs asked to cancel. */
  async extend(group: string, leaseMs: number, pairs: [string, string][]): Promise<{ lost: string[]; cancelled: [string, string][] }> {
    const g = this.keys.group(group);
    const args: Arg[] = [g.records, leaseMs];
    for (const [id, token] of pairs) args.push(id, token);
    const reply = ((await this.run('extend', { active: g.active, wake: this.keys.wake }, args)) as unknown[]).map(String);
    return decodeRenewal(reply);
  }

  async release(group: string, started: boolean, pairs: [string, string][]): Promise<number> {
    const g = this.keys.group(group);
    const args: Arg[] = [this.keys.base, group, started ? 1 : 0];
    for (const [id, token] of pairs) args.push(id, token);
    return Number(await this.run('release', { active: g.active, wait: g.wait, wake: this.keys.wake }, args));
  }

  /** The group's next due time (see next-due.lua): Redis' now, and the earliest due time (undefined: none). */
  async nextDue(group: string): Promise<{ now: number; at: number | undefined }> {
    const g = this.keys.group(group);
    const reply = (await this.run(
      'next-due',
      {
        delayed: this.keys.delayed,
        retry: g.retry,
        active: g.active,
        schedulers: this.keys.schedulers,
        keywait: g.keyWait,
      },
      [this.keys.base],
    )) as unknown[];
    return decodeNextDue(reply);
  }

  /** Hands back the jobs a call with this nonce leased, if it ran (see release.lua). */
  async releaseCall(group: string, nonce: string): Promise<number> {
    const g = this.keys.group(group);
    return Number(
      await this.run('release', { active: g.active, wait: g.wait, wake: this.keys.wake }, [this.keys.base, group, 0, '*', nonce]),
    );
  }

  async progress(group: string, id: string, token: string, progress: string): Promise<boolean> {
    const keys = { job: this.keys.group(group).job(id), wake: this.keys.wake };
    return Number(await this.run('progress', keys, [token, progress, this.keys.base, id, group])) === 1;
  }

  async log(group: string, id: string, token: string, line: string, maxLines: number): Promise<LogResult> {
    const g = this.keys.group(group);
    return decodeLog(await this.run('log', { job: g.job(id), logs: g.logs(id), stream: this.keys.stream }, [token, line, maxLines, id]));
  }

  /**
   * A partitioned queue's group rate limit, on the queue's own keys: reserves up to `want` starts
   * as the lease tokens nonce.1.. of one lease call, after handing back `unused` tokens.
   */
  async reserveStarts(group: string, nonce: string, want: number, unused: string[]): Promise<StartsGrant> {
    const reply = (await this.run('reserve-starts', { meta: this.keys.meta, limiter: this.keys.group(group).limiter }, [
      group,
      nonce,
      want,
      ...unused,
    ])) as number[];
    const waitMs = Number(reply[2]);
    return { now: Number(reply[0]), granted: Number(reply[1]), waitMs: waitMs < 0 ? undefined : waitMs, limited: Number(reply[3]) === 1 };
  }

  /** The number of partitions recorded for the queue (0: none), after recording `wanted` (0: only read). */
  async setPartitions(wanted: number): Promise<number> {
    return Number(
      await this.run('set-partitions', { meta: this.keys.meta, stream: this.keys.stream, delayed: this.keys.delayed }, [wanted]),
    );
  }

  async setPaused(group: string, paused: boolean): Promise<boolean> {
    return (
      Number(
        await this.run('set-paused', { paused: this.keys.group(group).paused, wake: this.keys.wake }, [
          group,
          paused ? '1' : '0',
          this.keys.base,
        ]),
      ) === 1
    );
  }

  async removeJob(group: string, id: string): Promise<RemoveJobResult> {
    const g = this.keys.group(group);
    return decodeRemoveJob(
      await this.run(
        'remove-job',
        {
          job: g.job(id),
          active: g.active,
          wait: g.wait,
          delayed: this.keys.delayed,
          retry: g.retry,
          prio: g.prio,
          completed: g.completed,
          failed: g.failed,
          logs: g.logs(id),
          stream: this.keys.stream,
          wake: this.keys.wake,
        },
        [id, group, this.keys.base],
      ),
    );
  }

  async changeDelay(group: string, id: string, delayMs: number): Promise<boolean> {
    const g = this.keys.group(group);
    const reply = await this.run(
      'change-delay',
      {
        job: this.keys.job(id),
        delayed: this.keys.delayed,
        retry: g.retry,
        stream: this.keys.stream,
        prio: g.prio,
        wait: g.wait,
        wake: this.keys.wake,
        groups: this.keys.groups,
      },
      [this.keys.base, group, id, delayMs],
    );
    return Number(reply) === 1;
  }

  /** The scheduler's next slot (ms), or undefined when its schedule has no slot left. */
  async upsertScheduler(key: string, spec: string, template: string, first: number): Promise<number | undefined> {
    return decodeNextSlot(
      await this.run('upsert-scheduler', { schedulers: this.keys.schedulers, scheduler: this.keys.scheduler(key), wake: this.keys.wake }, [
        key,
        spec,
        template,
        first,
      ]),
    );
  }

  async removeScheduler(key: string): Promise<boolean> {
    return (
      Number(await this.run('remove-scheduler', { schedulers: this.keys.schedulers, scheduler: this.keys.scheduler(key) }, [key])) === 1
    );
  }

  async fireScheduler(key: string, slot: number, next: number, fire: boolean, jobId: string): Promise<boolean> {
    const reply = await this.run(
      'fire-scheduler',
      {
        schedulers: this.keys.schedulers,
        scheduler: this.keys.scheduler(key),
        stream: this.keys.stream,
        groups: this.keys.groups,
        wake: this.keys.wake,
      },
      [this.keys.base, key, slot, next, fire ? '1' : '0', jobId],
    );
    return Number(reply) === 1;
  }

  async retryJob(group: string, id: string, from: 'failed' | 'completed'): Promise<boolean> {
    const g = this.keys.group(group);
    const reply = await this.run('retry-job', { job: g.job(id), from: g[from], wait: g.wait, wake: this.keys.wake }, [id, group]);
    return Number(reply) === 1;
  }

  async retryJobs(group: string, from: 'failed' | 'completed', before: number, batch: number): Promise<number> {
    const g = this.keys.group(group);
    return Number(
      await this.run('retry-jobs', { from: g[from], wait: g.wait, wake: this.keys.wake }, [this.keys.base, group, before, batch]),
    );
  }

  /** One batch of queue.promoteJobs(): delayed jobs and the group's retries made waiting now (see promote-jobs.lua). */
  async promoteJobs(group: string, batch: number): Promise<{ promoted: number; taken: number }> {
    const g = this.keys.group(group);
    const [promoted, taken] = (await this.run(
      'promote-jobs',
      {
        delayed: this.keys.delayed,
        retry: g.retry,
        stream: this.keys.stream,
        wait: g.wait,
        failed: g.failed,
        wake: this.keys.wake,
        groups: this.keys.groups,
      },
      [this.keys.base, group, batch],
    )) as unknown[];
    return { promoted: Number(promoted), taken: Number(taken) };
  }

  /** One batch of a drain; `keyCursor` is '0' in the first call, then the one the previous call returned. */
  async drain(
    group: string,
    batch: number,
    delayed: boolean,
    keyCursor = '0',
  ): Promise<{ removed: number; processed: number; keyCursor: string }> {
    const g = this.keys.group(group);
    const [removed, processed, cursor] = (await this.run(
      'drain',
      {
        stream: this.keys.stream,
        groups: this.keys.groups,
        wait: g.wait,
        prio: g.prio,
        delayed: this.keys.delayed,
        retry: g.retry,
        wake: this.keys.wake,
      },
      [this.keys.base, group, batch, delayed ? '1' : '0', keyCursor],
    )) as unknown[];
    return { removed: Number(removed), processed: Number(processed), keyCursor: String(cursor) };
  }

  /** `sofar`: what the clean's earlier calls deleted; `last`: the caller stops after this call (it then emits cleaned). */
  async clean(group: string, set: 'completed' | 'failed', before: number, batch: number, sofar = 0, last = false): Promise<string[]> {
    const g = this.keys.group(group);
    const args = [g.records, before, batch, this.keys.base, group, sofar, last ? '1' : '0'];
    const reply = (await this.run('clean', { set: g[set], wake: this.keys.wake }, args)) as unknown[];
    return reply.map(String);
  }

  /**
   * The dynamic limit: the group starts nothing for `ms`; with a job, it goes back unpenalised.
   * Returns false if that job's lease was lost.
   */
  async rateLimit(group: string, ms: number, job?: [id: string, token: string]): Promise<boolean> {
    const g = this.keys.group(group);
    const reply = await this.run('rate-limit', { meta: this.keys.meta, active: g.active, wait: g.wait, wake: this.keys.wake }, [
      this.keys.base,
      group,
      ms,
      job?.[0] ?? '',
      job?.[1] ?? '',
    ]);
    return Number(reply) >= 0;
  }

  /** `from`: '$' (now), '0' (all retained history) or a stream id. */
  async createGroup(group: string, from: string, keepDefault = true): Promise<CreateGroupResult> {
    return decodeCreateGroup(
      await this.run('create-group', { stream: this.keys.stream, groups: this.keys.groups, delayed: this.keys.delayed }, [
        group,
        from,
        this.keys.base,
        keepDefault ? '1' : '0',
      ]),
    );
  }

  /** One batch of a group's removal. */
  async removeGroup(group: string, batch: number, force: boolean): Promise<BatchStep> {
    const reply = await this.run('remove-group', { stream: this.keys.stream, groups: this.keys.groups, wake: this.keys.wake }, [
      this.keys.base,
      group,
      batch,
      force ? '1' : '0',
    ]);
    return decodeBatchStep('remove-group', reply);
  }

  /** One batch of the queue's deletion. */
  async obliterate(batch: number, force: boolean): Promise<BatchStep> {
    return decodeBatchStep(
      'obliterate',
      await this.run(
        'obliterate',
        { stream: this.keys.stream, groups: this.keys.groups, delayed: this.keys.delayed, wake: this.keys.wake, id: this.keys.id },
        [this.keys.base, batch, force ? '1' : '0'],
      ),
    );
  }

  /** record-metrics.lua: a worker's metrics flush and heartbeat (ARGV built by src/metrics/flush-args.ts); Redis' time. */
  async recordMetrics(group: string, workerId: string, args: Arg[]): Promise<number> {
    const g = this.keys.group(group);
    const keys = { metrics: g.metrics, minutes: g.minutes, mhist: g.minuteHist, workers: g.workers, worker: g.worker(workerId) };
    return Number(await this.run('record-metrics', keys, args));
  }
}
