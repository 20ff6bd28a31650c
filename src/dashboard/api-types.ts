// The JSON shapes of the dashboard's HTTP API (docs/dashboard.md): what the page reads and what
// a script calling the API gets back. Exported from the package entry so that clients are typed.
import type { GroupActivity } from '../metrics/activity.js';
import type { WorkerInfo } from '../metrics/metrics-store.js';
import type { Explanation } from '../ops/explain.js';
import type { JobRecord } from '../ops/job-record.js';
import type { QueueOverview } from '../ops/overview.js';

export type { GroupOverview, QueueOverview } from '../ops/overview.js';
export type { JobRecord } from '../ops/job-record.js';

/** The job states the dashboard lists (a page each). */
export type DashboardJobState = 'waiting-children' | 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';

/** The group's recent activity (src/metrics/activity.ts): throughput per minute and wait and processing percentiles. */
export type { GroupActivity } from '../metrics/activity.js';

/** Why a job is where it is: `queue.explain` (docs/explain.md). */
export type JobExplanation = Explanation;

/** A live worker of a group: `queue.getWorkers` (docs/metrics.md). */
export type WorkerSummary = WorkerInfo;

/** `GET api/session`: what the page needs before it starts. */
export interface SessionResponse {
  /** The token every POST must carry in its `X-CSRF-Token` header. */
  csrfToken: string;
  /** True when the dashboard refuses actions. */
  readOnly: boolean;
  /** The key prefix the dashboard reads. */
  prefix: string;
  /** How often the page refreshes (ms). */
  refreshMs: number;
}

/** `GET api/queues`: the queues under the prefix, one page of their overviews. */
export interface QueuesResponse {
  /** Every registered queue name (sorted; at most 10,000). */
  names: string[];
  /** The overviews of the page's queues (`offset`, at most `limit`), with their groups' activity. */
  queues: QueueWithActivity[];
  /** The first queue of the page (its index in `names`). */
  offset: number;
}

/** A queue's overview and its groups' activity (null per group without metrics). */
export interface QueueWithActivity {
  /** What `queueOverview` read. */
  overview: QueueOverview;
  /** Per group name: its activity, or null when no metrics are there. */
  activity: Record<string, GroupActivity | null>;
}

/** A job in a list: its main fields, with long text cut. */
export interface JobSummary {
  /** Its id. */
  id: string;
  /** Its name. */
  name: string;
  /** When it was added (ms). */
  timestamp: number;
  /** When its latest attempt started (ms), or null. */
  processedOn: number | null;
  /** When it finished (ms), or null. */
  finishedOn: number | null;
  /** Failed attempts so far. */
  attemptsMade: number;
  /** Its latest failure (at most 300 characters), or null. */
  failedReason: string | null;
  /** Its progress. */
  progress: unknown;
  /** Its data as JSON, cut at 200 characters. */
  dataPreview: string;
}

/** `GET api/queues/:queue/groups/:group/jobs`: one page of a state's jobs. */
export interface JobsPageResponse {
  /** The state listed. */
  state: DashboardJobState;
  /** The jobs of the page. */
  jobs: JobSummary[];
  /** The cursor of the next page, or null at the end. */
  next: string | null;
}

/** One event of a job's timeline, from the queue's event stream. */
export interface TimelineEvent {
  /** The stream entry id. */
  id: string;
  /** When it happened (ms, from the entry id). */
  at: number;
  /** The event: added, delayed, active, progress, retrying, completed, failed, stalled, removed. */
  event: string;
  /** The reason of a failure or retry, cut at 500 characters. */
  reason?: string;
  /** The delay of a retry or delayed job (ms). */
  delay?: number;
}

/** A job's timeline: the events found within the bound. */
export interface JobTimeline {
  /** Its events, oldest first. */
  events: TimelineEvent[];
  /** How many event stream entries were read (newest first): events older than them are not shown. */
  scanned: number;
  /** The most entries read (TIMELINE_SCAN). */
  bound: number;
}

/** `GET api/queues/:queue/groups/:group/jobs/:id`: one job, whole. */
export interface JobDetailResponse extends JobRecord {
  /** The newest lines of its log (at most LOG_LINES), the total it holds. */
  logs: { lines: string[]; total: number };
  /** Its events. */
  timeline: JobTimeline;
  /** Why it is where it is, or null without `explain`. */
  explain: JobExplanation | null;
}

/** An ordering key of a group that has jobs waiting and cannot start them now. */
export interface BlockedKey {
  /** The ordering key. */
  key: string;
  /** Jobs of the key waiting. */
  waiting: number;
  /** Slots the key holds (jobs of it running). */
  running: number;
  /** `concurrency`: all its slots are held; `rate-limit`: parked by the per-key limit until `until`. */
  reason: 'concurrency' | 'rate-limit';
  /** Until when a rate-limited key is parked (ms), or null. */
  until: number | null;
}

/** `GET api/queues/:queue/groups/:group/blocked-keys`: one page of the group's blocked keys. */
export interface BlockedKeysResponse {
  /** The blocked keys found in this page of the key-state hash. */
  keys: BlockedKey[];
  /** The group's keyConcurrency (1 unless set). */
  keyConcurrency: number;
  /** The cursor of the next page (`<partition>:<HSCAN cursor>` on a partitioned queue), or null at the end. */
  next: string | null;
}

/** A scheduler as the dashboard lists it. */
export interface SchedulerSummary {
  /** Its key. */
  key: string;
  /** The name of the jobs it adds. */
  name: string;
  /** Its cron pattern, or null. */
  pattern: string | null;
  /** Its interval (ms), or null. */
  every: number | null;
  /** Its next slot (ms), or null when over. */
  next: number | null;
}

/** `GET api/queues/:queue/schedulers`: the first schedulers by next fire (at most 100). */
export interface SchedulersResponse {
  /** Soonest first. */
  schedulers: SchedulerSummary[];
  /** How many schedulers the queue has. */
  total: number;
}

/** `GET api/queues/:queue/groups/:group/workers`: the group's workers, or null without that API. */
export interface WorkersResponse {
  /** The workers, or null when the queue cannot list them. */
  workers: WorkerSummary[] | null;
}

/** What every POST answers when it went through. */
export interface ActionResponse {
  /** True. */
  ok: true;
  /** How many jobs it moved or removed (bulk actions). */
  count?: number;
}

/** What every refused or failed request answers (with its HTTP status). */
export interface ErrorResponse {
  /** What went wrong, in words. */
  error: string;
  /** A stable code: `UNAUTHORIZED`, `FORBIDDEN`, `CSRF`, `READ_ONLY`, `NOT_FOUND`, `BAD_REQUEST`, or a SluiceError code. */
  code: string;
}
