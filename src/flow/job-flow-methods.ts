// The Job methods of flows: a parent reads what its children returned (and why some failed),
// any job of a flow names its parent. Installed on Job's prototype by Job's static block and
// typed by interface merging there (as the BullMQ aliases are). They read the parent's kids
// hash (flowParents.lua) in pages of HSCAN, so a parent of 10,000 children costs several short
// calls, never one long one.
import type { Redis } from 'ioredis';
import type { JobContext } from '../job/job-context.js';
import type { Job } from '../job/job.js';
import { JobField } from '../redis/keys.js';
import { installMethods } from '../install-methods.js';

/** A parent's children by state: see {@link FlowJobMethods.getDependencies}. */
export interface FlowDependencies {
  /** The completed children, by the key of their record (`<prefix>:{<queue>}:job:<id>`), with what they returned. */
  processed: Record<string, unknown>;
  /** The children not finished yet (keys of their records). */
  unprocessed: string[];
  /** The children that failed for good with `onFailure` ignore or continue-parent, with the reason. */
  failed: Record<string, string>;
}

/** The flow methods of a Job. */
export interface FlowJobMethods {
  /**
   * What this parent's completed children returned, by the key of each child's record
   * (`<prefix>:{<queue>}:job:<id>`). Use it in the parent's processor.
   * @typeParam T - the type the children return.
   */
  getChildrenValues<T = unknown>(): Promise<Record<string, T>>;
  /** Why its children failed, for those whose `onFailure` let the parent go on (ignore, continue-parent), by child key. */
  getFailedChildrenValues(): Promise<Record<string, string>>;
  /** Its children: completed with their values, not finished yet, and failed (ignored). */
  getDependencies(): Promise<FlowDependencies>;
  /** How many of its children are in each of getDependencies' lists. */
  getDependenciesCount(): Promise<{ processed: number; unprocessed: number; failed: number }>;
  /** The parent of a flow's child (its id and queue); undefined for any other job. */
  getParent(): Promise<{ id: string; queueName: string } | undefined>;
}

type Inside = { ctx: JobContext; id: string };

/** Every field of the job's kids hash, page by page: calls `each(field, value)`. */
async function scanKids(job: Job, each: (field: string, value: string) => void): Promise<void> {
  const { ctx, id } = job as unknown as Inside;
  const client: Redis = ctx.client;
  const key = ctx.scripts.keys.kids(id);
  let cursor = '0';
  do {
    const [next, flat] = await client.hscan(key, cursor, 'COUNT', 500);
    for (let i = 0; i + 1 < flat.length; i += 2) each(flat[i]!, flat[i + 1]!);
    cursor = next;
  } while (cursor !== '0');
}

/** A child's stored return value: '' is undefined (a processor that returned nothing). */
function parseValue(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function dependencies(job: Job): Promise<FlowDependencies> {
  const deps: FlowDependencies = { processed: {}, unprocessed: [], failed: {} };
  await scanKids(job, (field, value) => {
    const child = field.slice(2);
    if (field.startsWith('v:')) deps.processed[child] = parseValue(value);
    else if (field.startsWith('d:')) deps.unprocessed.push(child);
    else if (field.startsWith('f:')) deps.failed[child] = value;
  });
  return deps;
}

/** Installs the flow methods on Job's prototype (called once, by Job). */
export function addFlowMethods(JobClass: { prototype: object }): void {
  const methods: FlowJobMethods & ThisType<Job> = {
    async getChildrenValues<T>(): Promise<Record<string, T>> {
      return (await dependencies(this)).processed as Record<string, T>;
    },
    async getFailedChildrenValues() {
      return (await dependencies(this)).failed;
    },
    async getDependencies() {
      return dependencies(this);
    },
    async getDependenciesCount() {
      const deps = await dependencies(this);
      return {
        processed: Object.keys(deps.processed).length,
        unprocessed: deps.unprocessed.length,
        failed: Object.keys(deps.failed).length,
      };
    },
    async getParent() {
      const { ctx, id } = this as unknown as Inside;
      const [base, parentId] = await ctx.client.hmget(ctx.scripts.keys.job(id), JobField.parentBase, JobField.parentId);
      if (!base || !parentId) return undefined;
      const queueName = /\{([^}]*)\}:$/.exec(base)?.[1] ?? base;
      return { id: parentId, queueName };
    },
  };
  installMethods(JobClass, methods);
}
