// The options of createDashboard and startDashboard, and their checks: a wrong option is a
// typed error at startup, never a dashboard that half works.
import type { Queue } from '../queue/queue.js';
import type { ConnectionInput } from '../redis/connection.js';
import type { Logger } from '../logger.js';
import { InvalidOptionError } from '../errors.js';
import { checkOptionNames, validatePrefix } from '../validate.js';
import type { GroupActivity, JobExplanation, WorkerSummary } from './api-types.js';

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** Where Redis is (as a Queue's `connection`); a client you pass is used as it is and left open. */
  connection: ConnectionInput;
  /** The key prefix of the queues to show (default `sluice`). */
  prefix?: string;
  /** Refuse every action (POST answers 403) and hide their buttons. */
  readOnly?: boolean;
  /** Require HTTP basic auth with this user and password. */
  auth?: { user: string; password: string };
  /** Require this bearer token (`Authorization: Bearer …`, or `?token=` once in a browser, kept in a cookie). */
  token?: string;
  /** The path the dashboard answers under when not mounted by a framework (such as `/sluice`). */
  basePath?: string;
  /** How often the page refreshes, in ms (500 to 2,000; default 2,000). */
  refreshMs?: number;
  /** Where a group's activity comes from (default: the metrics seam, activity-source.ts). */
  activity?: (queue: Queue, group: string) => Promise<GroupActivity | null>;
  /** Where a job's explanation comes from (default: explain-source.ts). */
  explain?: (queue: Queue, group: string, id: string) => Promise<JobExplanation | null>;
  /** Where a group's workers come from (default: workers-source.ts). */
  workers?: (queue: Queue, group: string) => Promise<WorkerSummary[] | null>;
  /** Logs request failures (default: none). */
  logger?: Logger;
}

/** The option names createDashboard takes. */
export const DASHBOARD_OPTION_NAMES = [
  'connection',
  'prefix',
  'readOnly',
  'auth',
  'token',
  'basePath',
  'refreshMs',
  'activity',
  'explain',
  'workers',
  'logger',
] as const;

/** Options checked, defaults filled. */
export interface ResolvedDashboardOptions extends DashboardOptions {
  prefix: string;
  readOnly: boolean;
  basePath: string;
  refreshMs: number;
}

/** Checks the options (InvalidOptionError, UnknownOptionError) and fills the defaults. */
export function resolveDashboardOptions(opts: DashboardOptions, extra: readonly string[] = []): ResolvedDashboardOptions {
  if (typeof opts !== 'object' || opts === null) throw new InvalidOptionError('createDashboard takes an options object');
  checkOptionNames('createDashboard()', opts, [...DASHBOARD_OPTION_NAMES, ...extra]);
  if (opts.connection === undefined) throw new InvalidOptionError('createDashboard: `connection` is required');
  if (opts.auth !== undefined) {
    const { user, password } = opts.auth ?? {};
    if (typeof user !== 'string' || user === '' || user.includes(':') || typeof password !== 'string' || password === '') {
      throw new InvalidOptionError('createDashboard: `auth` takes { user, password }: non-empty strings, no ":" in the user');
    }
  }
  if (opts.token !== undefined && (typeof opts.token !== 'string' || opts.token.length < 16)) {
    throw new InvalidOptionError('createDashboard: `token` must be a string of at least 16 characters');
  }
  let basePath = opts.basePath ?? '';
  if (typeof basePath !== 'string' || (basePath !== '' && !/^\/[A-Za-z0-9._~/-]*$/.test(basePath))) {
    throw new InvalidOptionError(`createDashboard: basePath must be a path such as "/sluice"; got ${JSON.stringify(opts.basePath)}`);
  }
  basePath = basePath.replace(/\/+$/, '');
  const refreshMs = opts.refreshMs ?? 2000;
  if (!Number.isInteger(refreshMs) || refreshMs < 500 || refreshMs > 2000) {
    throw new InvalidOptionError(`createDashboard: refreshMs must be an integer from 500 to 2000; got ${refreshMs}`);
  }
  for (const name of ['activity', 'explain', 'workers'] as const) {
    if (opts[name] !== undefined && typeof opts[name] !== 'function')
      throw new InvalidOptionError(`createDashboard: ${name} must be a function`);
  }
  return {
    ...opts,
    prefix: opts.prefix === undefined ? 'sluice' : validatePrefix(opts.prefix),
    readOnly: opts.readOnly === true,
    basePath,
    refreshMs,
  };
}
