// The typed wrappers of the job controls' scripts (job.updateData, job.changePriority,
// queue.cancelJob), of the queue's clean of waiting jobs, and of flows (add-flow): like
// scripts.ts (one wrapper per script, keys by the names in the script's header, replies decoded
// into named results), kept apart so that scripts.ts stays readable. test/lua/script-headers.test.ts checks both files against the headers.
import type { Redis } from 'ioredis';
import type { QueueKeys } from './keys.js';
import { scriptCaller, type Arg, type ScriptCaller } from './script-caller.js';
import type { ScriptName } from './script-registry.js';

/** add-flow's stage: '' a flow in one call; 'hold' a call of a larger one; 'commit' its last (lua/add-flow.lua). */
export type FlowStage = '' | 'hold' | 'commit';

/** What update-data did: stored, or why not, with the state the job was found in. */
export interface UpdateDataResult {
  outcome: 'ok' | 'finished' | 'notFound';
  state: string;
}

/** What change-priority did: see lua/change-priority.lua. */
export interface ChangePriorityResult {
  outcome: 'delayed' | 'moved' | 'ordered' | 'notWaiting';
  state: string;
}

/** Where clean-waiting looks: see lua/clean-waiting.lua. */
export type WaitingPart = 'prio' | 'wait' | 'stream' | 'retry' | 'delayed';

/** What one clean-waiting call did. */
export interface CleanWaitingStep {
  /** The ids deleted. */
  removed: string[];
  /** How many jobs (or entries) it looked at: fewer than the batch ends the part. */
  looked: number;
  /** Where the next call resumes. */
  offset: number;
}

/** The control scripts of one queue, bound to a client. */
export class ControlScripts {
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

  /** Replaces the data of job `id` in the record `group` reads it from (lua/update-data.lua). */
  async updateData(group: string, id: string, data: string): Promise<UpdateDataResult> {
    const keys = { job: this.keys.job(id), groups: this.keys.groups, stream: this.keys.stream, wake: this.keys.wake };
    const reply = (await this.run('update-data', keys, [this.keys.base, group, id, data])) as [string, string];
    return { outcome: reply[0] as UpdateDataResult['outcome'], state: String(reply[1]) };
  }

  /** Gives job `id` a new priority (0: none) or lifo (lua/change-priority.lua); `scan`: how far into each wait list to look. */
  async changePriority(group: string, id: string, priority: number, lifo: boolean, scan: number): Promise<ChangePriorityResult> {
    const keys = {
      job: this.keys.job(id),
      delayed: this.keys.delayed,
      groups: this.keys.groups,
      stream: this.keys.stream,
      wake: this.keys.wake,
    };
    const reply = (await this.run('change-priority', keys, [this.keys.base, group, id, priority, lifo ? '1' : '0', scan])) as [
      string,
      string,
    ];
    return { outcome: reply[0] as ChangePriorityResult['outcome'], state: String(reply[1]) };
  }

  /** Deletes a batch of `group`'s waiting jobs added before `before` from one `part` (lua/clean-waiting.lua). */
  async cleanWaiting(
    group: string,
    part: WaitingPart,
    before: number,
    step: { batch: number; offset: number; listCap: number; sofar: number; announce: 0 | 1 | 2 },
  ): Promise<CleanWaitingStep> {
    const g = this.keys.group(group);
    const keys = {
      stream: this.keys.stream,
      groups: this.keys.groups,
      wait: g.wait,
      prio: g.prio,
      retry: g.retry,
      delayed: this.keys.delayed,
      wake: this.keys.wake,
    };
    const { batch, offset, listCap, sofar, announce } = step;
    const args = [this.keys.base, group, part, before, batch, offset, listCap, sofar, String(announce)];
    const reply = (await this.run('clean-waiting', keys, args)) as [string[], number, number];
    return { removed: reply[0].map(String), looked: Number(reply[1]), offset: Number(reply[2]) };
  }

  /** Asks the worker running job `id` of `group` to cancel it (lua/cancel-job.lua): true when it runs. */
  async cancelJob(group: string, id: string, reason: string): Promise<boolean> {
    const g = this.keys.group(group);
    const keys = { job: g.job(id), active: g.active, wake: this.keys.wake, stream: this.keys.stream };
    return Number(await this.run('cancel-job', keys, [id, reason])) === 1;
  }

  /** add-flow.lua: a flow (or a chunk of one) whose first queue is this one; the raw reply (src/flow/flow-producer.ts). */
  addFlow(queues: string[], stage: FlowStage, held: string, nodes: Arg[]): Promise<unknown> {
    return this.run('add-flow', { wake: this.keys.wake, held }, [JSON.stringify(queues), stage, ...nodes]);
  }

  /** Places the next `batch` held jobs of a committed flow whose held list is `held` (lua/place-flow.lua); how many are left. */
  async placeFlow(held: string, batch: number): Promise<number> {
    return Number(await this.run('place-flow', { held, wake: this.keys.wake }, [this.keys.base, batch]));
  }
}
