// The job state machine in one table: the states a job of a consumer group can be in, the value
// each one is stored as in the job hash (field `s`, JobField.state), and every transition with
// the Lua file that writes it. docs/job-lifecycle.md draws the same machine and says where a job
// physically lives in each state; test/lua/job-state.test.ts scans lua/ and fails when a script
// writes a state this table does not list for it, or when a row names a write that is gone.
// Nothing here runs at Redis time: the scripts are the transitions (invariant 1, docs/invariants.md).

/**
 * The states of a job, each stored as that same string in the job hash's state field (`s`).
 * A plain job waiting in its stream entry has no hash yet: it is `'waiting'` without a stored
 * value. Order: the usual path of a job.
 */
export const JOB_STATES = ['waiting-children', 'waiting', 'active', 'delayed', 'completed', 'failed'] as const;

/**
 * Where a job is in its consumer group:
 * - `'waiting-children'`: a flow's parent, waiting for its children to be done (docs/flows.md);
 * - `'waiting'`: ready to run, waiting for a worker (prioritised and ordered jobs included);
 * - `'active'`: a worker holds its lease and is running it;
 * - `'delayed'`: waiting for its `delay`, or for the backoff before a retry;
 * - `'completed'`: its processor returned;
 * - `'failed'`: it failed for good (no attempts left, or an `UnrecoverableError`).
 */
export type JobState = (typeof JOB_STATES)[number];

/**
 * One move of a job between states. `from: 'new'` is a job being added (it had no state).
 * `by` is the basename (no `.lua`) of the Lua file, script or include, whose state write
 * performs the move; `via` lists the scripts that reach an include's write, when that is not
 * obvious from the name. A move that writes no state (a job deleted, a due time changed) is
 * not a row: docs/job-lifecycle.md lists those.
 */
export interface Transition {
  from: JobState | 'new';
  to: JobState;
  by: string;
  via?: readonly string[];
  /** What happens, in a few words. */
  why: string;
}

/** Every state write in lua/, one row per (from, to, file). Checked by test/lua/job-state.test.ts. */
export const TRANSITIONS: readonly Transition[] = [
  // adding
  {
    from: 'new',
    to: 'waiting',
    by: 'newRecord',
    via: ['enqueue', 'add-flow'],
    why:
      'a job with its own id, a priority, lifo, an ordering key or a deadline gets its record ' +
      "(a plain job is its stream entry only, no write); a flow's job too",
  },
  { from: 'new', to: 'delayed', by: 'enqueue', why: "a job added with a delay: into the queue's delayed set" },
  { from: 'delayed', to: 'delayed', by: 'enqueue', why: 'deduplication with replace: a delayed holder restarts its delay' },
  { from: 'new', to: 'waiting', by: 'fire-scheduler', why: "a repeating job's due slot makes its job" },
  {
    from: 'new',
    to: 'waiting',
    by: 'placeWaiting',
    via: ['enqueue', 'fire-scheduler'],
    why: 'a group other than default gets its own copy of a job placed in its priority set, wait list or key line',
  },
  {
    from: 'delayed',
    to: 'waiting',
    by: 'placeWaiting',
    via: ['leaseJobs', 'change-delay', 'promote-jobs'],
    why: 'the same copy, for a delayed job being promoted',
  },
  // flows (add-flow.lua, flowParents.lua)
  { from: 'new', to: 'waiting-children', by: 'add-flow', why: "a flow's parent: it waits for its children, placed nowhere" },
  {
    from: 'new',
    to: 'delayed',
    by: 'flowPlace',
    via: ['add-flow', 'place-flow', 'lease', 'complete'],
    why: "a flow's child with a delay: into its queue's delayed set, as its flow is placed (at once, or after a large flow's commit)",
  },
  {
    from: 'waiting-children',
    to: 'waiting',
    by: 'flowParents',
    via: ['complete', 'moveToFailed', 'remove-job'],
    why: 'its last child is done (or one failed with onFailure continue-parent): placed for every group',
  },
  {
    from: 'waiting-children',
    to: 'failed',
    by: 'moveToFailed',
    via: ['fail', 'lease', 'complete'],
    why: 'a child failed for good with onFailure fail-parent: the parent fails, and its own parent hears of it',
  },
  // promotion (in every lease call, and on demand)
  {
    from: 'delayed',
    to: 'waiting',
    by: 'promoteDue',
    via: ['lease', 'complete'],
    why: "due delayed jobs are placed for every group; due retries go to the back of the group's wait list",
  },
  {
    from: 'delayed',
    to: 'waiting',
    by: 'promoteJob',
    via: ['change-delay', 'promote-jobs'],
    why: 'job.promote(), changeDelay(0), queue.promoteJobs(): the same moves before the due time',
  },
  // leasing
  {
    from: 'waiting',
    to: 'waiting',
    by: 'leaseOne',
    via: ['lease', 'complete'],
    why: 'a group other than default adopts a job with a published record: its own record is made, then leased',
  },
  { from: 'waiting', to: 'active', by: 'leaseOne', via: ['lease', 'complete'], why: 'leased: a fresh token, a deadline in the active set' },
  {
    from: 'active',
    to: 'active',
    by: 'leasedEntry',
    via: ['extend', 'fail', 'progress', 'log', 'release', 'rate-limit', 'cancel-job', 'update-data', 'lease', 'complete'],
    why: 'a job leased without a record (its stream entry pending) gets its record before anything else is done to it',
  },
  {
    from: 'waiting',
    to: 'delayed',
    by: 'leaseOne',
    via: ['lease', 'complete'],
    why: 'an ordered job coming back whose key is over its per-key limit waits in the retry set',
  },
  {
    from: 'waiting',
    to: 'failed',
    by: 'moveToFailed',
    via: ['lease', 'complete'],
    why: 'not started by its deadline (ttl, startBy), or a malformed record or stream entry',
  },
  // expired leases (in every lease call)
  {
    from: 'active',
    to: 'waiting',
    by: 'reclaimExpired',
    via: ['lease', 'complete'],
    why: 'reclaimed: its lease ran out; to the front of the wait list',
  },
  {
    from: 'active',
    to: 'failed',
    by: 'moveToFailed',
    via: ['lease', 'complete', 'fail'],
    why: 'reclaimed more than maxStalls times (lease call); the last attempt failed, or UnrecoverableError (fail): the dead-letter set',
  },
  // settling
  { from: 'active', to: 'completed', by: 'complete', why: 'acknowledged by the lease holder (kept by the retention policy)' },
  { from: 'active', to: 'delayed', by: 'fail', why: "a failed attempt with attempts left and a backoff: into the group's retry set" },
  { from: 'active', to: 'waiting', by: 'fail', why: 'a failed attempt with attempts left and no backoff: to the back of the wait list' },
  { from: 'active', to: 'waiting', by: 'release', why: 'handed back at close() or after a lost reply, without using an attempt' },
  { from: 'active', to: 'waiting', by: 'rate-limit', why: 'the processor threw RateLimitError: back to the front, no attempt used' },
  // redriving
  { from: 'failed', to: 'waiting', by: 'retry-job', why: 'job.retry(): attempts reset, to the back of the wait list' },
  { from: 'completed', to: 'waiting', by: 'retry-job', why: "job.retry('completed')" },
  { from: 'failed', to: 'waiting', by: 'retry-jobs', why: 'queue.retryJobs(): a bounded batch' },
  { from: 'completed', to: 'waiting', by: 'retry-jobs', why: "queue.retryJobs({ state: 'completed' })" },
  // a change to a job still in the stream: its entry cannot be rewritten
  {
    from: 'waiting',
    to: 'waiting',
    by: 'streamEntryJob',
    via: ['remove-job', 'change-priority', 'update-data'],
    why:
      'the job leaves the stream: each group that has not read its entry gets its own record now (for remove, the other groups; ' +
      'for a new priority or new data, every such group), and a place in its wait list or priority set',
  },
];
