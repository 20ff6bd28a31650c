// The public shapes of flows (fan-in): the tree a FlowProducer adds, the options a job has as a
// child of a flow, and the tree of Jobs it hands back. The semantics are in docs/flows.md.
import type { JobsOptions } from '../job/job-options.js';
import type { Job } from '../job/job.js';
import type { QueueOptions } from '../queue/queue.js';

/**
 * What a child's final failure (no attempts left, or an UnrecoverableError) does to its parent:
 * - `fail-parent` (the default): the parent fails at once, with the reason; its own parent hears of that in turn;
 * - `ignore`: the failure is recorded (`job.getFailedChildrenValues()`) and the parent runs when its other children are done;
 * - `continue-parent`: the failure is recorded and the parent runs now, without waiting for its other children;
 * - `remove-dependency`: the child stops counting, and nothing is recorded.
 */
export type ChildFailurePolicy = 'fail-parent' | 'ignore' | 'continue-parent' | 'remove-dependency';

/**
 * The options of a job in a flow: those of `Queue.add`, without `deduplication` (a flow's jobs
 * are new), and for a child, what its failure does to its parent. BullMQ's booleans
 * (`failParentOnFailure`, `ignoreDependencyOnFailure`, `continueParentOnFailure`,
 * `removeDependencyOnFailure`) are accepted too; give at most one of all of these.
 */
export interface FlowJobOptions extends Omit<JobsOptions, 'deduplication'> {
  /** What this job's final failure does to its parent. @default 'fail-parent' */
  onFailure?: ChildFailurePolicy;
  /** BullMQ's name for `onFailure: 'fail-parent'`. */
  failParentOnFailure?: boolean;
  /** BullMQ's name for `onFailure: 'ignore'`. */
  ignoreDependencyOnFailure?: boolean;
  /** BullMQ's name for `onFailure: 'continue-parent'`. */
  continueParentOnFailure?: boolean;
  /** BullMQ's name for `onFailure: 'remove-dependency'`. */
  removeDependencyOnFailure?: boolean;
}

/**
 * A job of a flow and, for a parent, its children. A parent runs only once all of its children
 * have completed (see {@link ChildFailurePolicy} for failures); it reads their results with
 * `job.getChildrenValues()`. Children may be in other queues than their parent (on a Redis
 * Cluster, queues whose keys share one slot).
 * @typeParam Data - the type of the job's data.
 */
export interface FlowJob<Data = unknown> {
  /** The job's name. */
  name: string;
  /** The queue the job goes to. */
  queueName: string;
  /** The job's data (JSON). */
  data?: Data;
  /** Its options. A parent cannot be delayed (it waits for its children instead). */
  opts?: FlowJobOptions;
  /** Its children: jobs that run, and complete, before it. */
  children?: FlowJob[];
}

/**
 * An added flow: each job with the Jobs of its children, in the order given.
 * @typeParam Data - the type of the jobs' data.
 * @typeParam Result - the type their processors return.
 */
export interface JobNode<Data = unknown, Result = unknown> {
  /** The job. */
  job: Job<Data, Result>;
  /** Its children, for a parent. */
  children?: JobNode[];
}

/** Options of one `FlowProducer.add`. */
export interface FlowAddOptions {
  /**
   * Per queue name, options for that queue as a Queue would take them (`defaultJobOptions`,
   * `maxPayloadBytes`): a job of the flow gets its queue's defaults, as `Queue.add` gives them.
   */
  queuesOptions?: Record<string, Pick<QueueOptions, 'defaultJobOptions' | 'maxPayloadBytes'>>;
}
