// One typed wrapper per Lua script: the only place where KEYS and ARGV arrays are built.
// Keys are given by the names in each script's header, so the order cannot drift.
import type { Redis } from 'ioredis';
import { CallInterruptedError } from '../errors.js';
import type { QueueKeys } from './keys.js';
import { commandName, orderKeys, type ScriptName } from './script-registry.js';
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
  type BatchStep,
  type CreateGroupResult,
  type EnqueueStatus,
  type LeaseReply,
  type LogResult,
  type RemoveJobResult,
} from './script-results.js';
import type { Ack, EnqueueItem, FailOutcome } from './script-args.js';

export type { EnqueueStatus, LeasedJobRaw, LeaseReply } from './script-results.js';
export type { Ack, EnqueueItem, FailOutcome } from './script-args.js';

type Arg = string | number;

/** ARGV count of lease/complete: "count", or "count:slots" when some jobs are leased ahead. */
function countArg(count: number, slots: number): Arg {
  return slots < count ? `${count}:${Math.max(0, slots)}` : count;
}

/** The scripts of one queue, bound to a client. */
export class Scripts {
  /** Calls waiting for a reply, on a client that does not resend them (see below). */
  private readonly pending = new Set<(err: Error) => void>();
  private readonly interruptible: boolean;

  constructor(
    private readonly client: Redis,
    readonly keys: QueueKeys,
  ) {
    // A client made with autoResendUnfulfilledCommands: false (the worker's, see connection.ts)
    // drops the commands a lost connection left unanswered, and their promises never settle:
    // such calls reject here instead, with CallInterruptedError (they may or may not have run).
    this.interruptible = client.options.autoResendUnfulfilledCommands === false;
    if (this.interruptible) {
      client.on('close', () => {
        const waiting = [...this.pending];
        this.pending.clear();
        for (const reject of waiting) reject(new CallInterruptedError());
      });
    }
  }

  private run(op: ScriptName, keys: Record<string, string>, args: Arg[]): Promise<unknown> {
    const command = (this.client as unknown as Record<string, (...a: Arg[]) => Promise<unknown>>)[commandName(op)];
    if (!command) throw new Error(`script ${op} is not registered on this client`);
    const call = command.apply(this.client, [...orderKeys(op, keys), ...args]);
    if (!this.interruptible) return call;
    return new Promise((resolve, reject) => {
      const interrupt = (err: Error) => reject(err);
      this.pending.add(interrupt);
      call.then(
        (value) => {
          this.pending.delete(interrupt);
          resolve(value);
        },
        (err: unknown) => {
          this.pending.delete(interrupt);
          reject(err);
        },
      );
    });
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
    const args: Arg[] = [this.keys.base];
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

  async extend(group: string, leaseMs: number, pairs: [string, string][]): Promise<string[]> {
    const g = this.keys.group(group);
    const args: Arg[] = [g.records, leaseMs];
    for (const [id, token] of pairs) args.push(id, token);
    return ((await this.run('extend', { active: g.active }, args)) as unknown[]).map(String);
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
    return Number(await this.run('progress', { job: this.keys.group(group).job(id) }, [token, progress, this.keys.base, id, group])) === 1;
  }

  async log(group: string, id: string, token: string, line: string, maxLines: number): Promise<LogResult> {
    const g = this.keys.group(group);
    return decodeLog(await this.run('log', { job: g.job(id), logs: g.logs(id) }, [token, line, maxLines]));
  }

  async setPaused(group: string, paused: boolean): Promise<boolean> {
    return (
      Number(await this.run('set-paused', { paused: this.keys.group(group).paused, wake: this.keys.wake }, [group, paused ? '1' : '0'])) ===
      1
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
      { stream: this.keys.stream, groups: this.keys.groups, wait: g.wait, prio: g.prio, delayed: this.keys.delayed, retry: g.retry },
      [this.keys.base, group, batch, delayed ? '1' : '0', keyCursor],
    )) as unknown[];
    return { removed: Number(removed), processed: Number(processed), keyCursor: String(cursor) };
  }

  async clean(group: string, set: 'completed' | 'failed', before: number, batch: number): Promise<string[]> {
    const g = this.keys.group(group);
    const reply = (await this.run('clean', { set: g[set] }, [g.records, before, batch])) as unknown[];
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
    const reply = await this.run('remove-group', { stream: this.keys.stream, groups: this.keys.groups }, [
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
}
