// The dashboard's JSON API (docs/dashboard.md lists every route): the reads the page polls, all
// bounded (overviews, one page of jobs, one job, one HSCAN page of keys, the first schedulers),
// and the actions, which only POST reaches (handler.ts checks read-only mode, CSRF and origin).
import type { IncomingMessage } from 'node:http';
import type { Queue } from '../queue/queue.js';
import { queueOverview } from '../ops/overview.js';
import { listQueues } from '../ops/queue-registry.js';
import { readBlockedKeys } from '../ops/blocked-keys.js';
import { readSchedulerPage } from '../ops/scheduler-page.js';
import { readActivity } from './activity-source.js';
import { readExplain } from './explain-source.js';
import { readWorkers } from './workers-source.js';
import { groupName, type DashboardContext } from './context.js';
import { HttpError } from './http-replies.js';
import { jobDetail, jobSummary } from './job-view.js';
import type {
  ActionResponse,
  BlockedKeysResponse,
  DashboardJobState,
  GroupActivity,
  JobDetailResponse,
  JobsPageResponse,
  QueuesResponse,
  QueueWithActivity,
  SchedulersResponse,
  SessionResponse,
  WorkersResponse,
} from './api-types.js';

/** The most queue overviews one `api/queues` answer carries. */
export const MAX_QUEUES_PER_PAGE = 50;
/** The most jobs one page of a list carries. */
export const MAX_JOBS_PER_PAGE = 100;
/** The most jobs one clean removes when no limit is given. */
export const DEFAULT_CLEAN_LIMIT = 100_000;
const STATES: readonly DashboardJobState[] = ['waiting-children', 'waiting', 'active', 'delayed', 'completed', 'failed'];

/** A request as a route sees it: its path parameters and query. */
export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  req: IncomingMessage;
}

/** A route: its method, its path pattern (`:name` segments), and what it answers. */
export interface Route {
  method: 'GET' | 'POST';
  pattern: string[];
  run(ctx: DashboardContext, r: RouteRequest): Promise<unknown>;
}

/** An integer query parameter within bounds, or the fallback. */
function intParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpError(400, 'BAD_REQUEST', `${name} must be an integer from ${min} to ${max}`);
  return n;
}

/** The group's activity from the configured source (a failing source shows as none). */
async function activityOf(ctx: DashboardContext, queue: Queue, group: string): Promise<GroupActivity | null> {
  try {
    return await (ctx.options.activity ?? readActivity)(queue, group);
  } catch (err) {
    ctx.options.logger?.warn({ err, queue: queue.name, group }, 'dashboard: activity read failed');
    return null;
  }
}

/** A queue's overview and its groups' activity: exactly queueOverview plus one activity read per group. */
export async function overviewWithActivity(ctx: DashboardContext, queue: Queue): Promise<QueueWithActivity> {
  const overview = await queueOverview(queue);
  const pairs = await Promise.all(overview.groups.map(async (g) => [g.name, await activityOf(ctx, queue, g.name)] as const));
  return { overview, activity: Object.fromEntries(pairs) };
}

/** The group of a route, which must exist in the queue (for actions, so that none makes a group). */
async function existingGroup(queue: Queue, name: string): Promise<string> {
  const group = groupName(name);
  if (!(await queue.getGroups()).some((g) => g.name === group)) {
    throw new HttpError(404, 'NOT_FOUND', `queue "${queue.name}" has no group "${group}"`);
  }
  return group;
}

async function finishedState(queue: Queue, group: string, id: string): Promise<{ retry(): Promise<void> }> {
  const job = await queue.getJob(id, { group });
  if (!job) throw new HttpError(404, 'NOT_FOUND', `no job "${id}" in group "${group}"`);
  const state = await job.getState();
  if (state !== 'failed' && state !== 'completed')
    throw new HttpError(409, 'CONFLICT', `job "${id}" is ${state}: only finished jobs retry`);
  return { retry: () => job.retry(state) };
}

const ok = (count?: number): ActionResponse => (count === undefined ? { ok: true } : { ok: true, count });

/** Every route of the API. */
export const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: ['api', 'session'],
    run: async (ctx): Promise<SessionResponse> => ({
      csrfToken: ctx.csrfToken,
      readOnly: ctx.options.readOnly,
      prefix: ctx.options.prefix,
      refreshMs: ctx.options.refreshMs,
    }),
  },
  {
    method: 'GET',
    pattern: ['api', 'queues'],
    run: async (ctx, { query }): Promise<QueuesResponse> => {
      const names = await listQueues(ctx.client, ctx.options.prefix);
      const offset = intParam(query, 'offset', 0, 0, Math.max(0, names.length));
      const limit = intParam(query, 'limit', 20, 1, MAX_QUEUES_PER_PAGE);
      const page = names.slice(offset, offset + limit);
      const queues = await Promise.all(page.map(async (name) => overviewWithActivity(ctx, await ctx.queue(name))));
      return { names, queues, offset };
    },
  },
  {
    method: 'GET',
    pattern: ['api', 'queues', ':queue'],
    run: async (ctx, { params }): Promise<QueueWithActivity> => overviewWithActivity(ctx, await ctx.queue(params.queue!)),
  },
  {
    method: 'GET',
    pattern: ['api', 'queues', ':queue', 'schedulers'],
    run: async (ctx, { params }): Promise<SchedulersResponse> => {
      const { schedulers, total } = await readSchedulerPage(await ctx.queue(params.queue!));
      return {
        total,
        schedulers: schedulers.map((s) => ({
          key: s.key,
          name: s.name,
          pattern: s.repeat.pattern ?? null,
          every: s.repeat.every ?? null,
          next: s.next ?? null,
        })),
      };
    },
  },
  {
    method: 'GET',
    pattern: ['api', 'queues', ':queue', 'groups', ':group', 'jobs'],
    run: async (ctx, { params, query }): Promise<JobsPageResponse> => {
      const queue = await ctx.queue(params.queue!);
      const group = groupName(params.group!);
      const state = (query.get('state') ?? 'waiting') as DashboardJobState;
      if (!STATES.includes(state)) throw new HttpError(400, 'BAD_REQUEST', `state must be one of ${STATES.join(', ')}`);
      const count = intParam(query, 'count', 25, 1, MAX_JOBS_PER_PAGE);
      const cursor = query.get('cursor') || undefined;
      const page = await queue.getJobsPage(state, { group, count, ...(cursor ? { cursor } : {}) });
      return { state, jobs: page.jobs.map(jobSummary), next: page.next };
    },
  },
  {
    method: 'GET',
    pattern: ['api', 'queues', ':queue', 'groups', ':group', 'jobs', ':id'],
    run: async (ctx, { params }): Promise<JobDetailResponse> => {
      const queue = await ctx.queue(params.queue!);
      const group = groupName(params.group!);
      const job = await queue.getJob(params.id!, { group });
      if (!job) throw new HttpError(404, 'NOT_FOUND', `no job "${params.id}" in group "${group}"`);
      const explain = await (ctx.options.explain ?? readExplain)(queue, group, job.id).catch(() => null);
      return jobDetail(queue, job, explain);
    },
  },
  {
    method: 'GET',
    pattern: ['api', 'queues', ':queue', 'groups', ':group', 'blocked-keys'],
    run: async (ctx, { params, query }): Promise<BlockedKeysResponse> => {
      const queue = await ctx.queue(params.queue!);
      const cursor = query.get('cursor') ?? '0';
      if (!/^(\d{1,4}:)?\d{1,20}$/.test(cursor)) throw new HttpError(400, 'BAD_REQUEST', 'cursor must be a cursor the previous page gave');
      return readBlockedKeys(queue, groupName(params.group!), cursor);
    },
  },
  {
    method: 'GET',
    pattern: ['api', 'queues', ':queue', 'groups', ':group', 'workers'],
    run: async (ctx, { params }): Promise<WorkersResponse> => {
      const queue = await ctx.queue(params.queue!);
      return { workers: await (ctx.options.workers ?? readWorkers)(queue, groupName(params.group!)) };
    },
  },
  ...jobAction('retry', async (queue, group, id) => (await finishedState(queue, group, id)).retry()),
  ...jobAction('remove', (queue, group, id) => queue.remove(id, { group })),
  ...jobAction('promote', async (queue, group, id) => {
    const job = await queue.getJob(id, { group });
    if (!job) throw new HttpError(404, 'NOT_FOUND', `no job "${id}" in group "${group}"`);
    await job.promote();
  }),
  ...groupAction('pause', async (queue, group) => {
    await queue.pause({ group });
    return ok();
  }),
  ...groupAction('resume', async (queue, group) => {
    await queue.resume({ group });
    return ok();
  }),
  ...groupAction('retry-failed', async (queue, group) => ok(await queue.retryJobs({ group, state: 'failed' }))),
  ...groupAction('clean', async (queue, group, query) => {
    const state = query.get('state');
    if (state !== 'completed' && state !== 'failed') throw new HttpError(400, 'BAD_REQUEST', 'state must be completed or failed');
    const graceMs = intParam(query, 'graceMs', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(query, 'limit', DEFAULT_CLEAN_LIMIT, 1, DEFAULT_CLEAN_LIMIT);
    return ok((await queue.clean(graceMs, limit, state, { group })).length);
  }),
];

function jobAction(name: string, act: (queue: Queue, group: string, id: string) => Promise<void>): Route[] {
  return [
    {
      method: 'POST',
      pattern: ['api', 'queues', ':queue', 'groups', ':group', 'jobs', ':id', name],
      run: async (ctx, { params }) => {
        const queue = await ctx.queue(params.queue!);
        await act(queue, await existingGroup(queue, params.group!), params.id!);
        return ok();
      },
    },
  ];
}

function groupAction(name: string, act: (queue: Queue, group: string, query: URLSearchParams) => Promise<ActionResponse>): Route[] {
  return [
    {
      method: 'POST',
      pattern: ['api', 'queues', ':queue', 'groups', ':group', name],
      run: async (ctx, { params, query }) => {
        const queue = await ctx.queue(params.queue!);
        return act(queue, await existingGroup(queue, params.group!), query);
      },
    },
  ];
}
