// The events a QueueEvents emits, by name, with their listeners' arguments (the typed event
// map of queue-events.ts, and of the events more-events.ts derives or decodes).

/** A job event's listener: `{ jobId, ... }` and the event's id. */
export type JobEvent<T = object> = (args: { jobId: string } & T, eventId: string) => void;

/**
 * The events a {@link QueueEvents} emits. Each job event's listener gets `{ jobId, ... }` and
 * the event's id (a resume point for the `from` option; composite on a partitioned queue).
 * @typeParam Result - the type the processor returns.
 */
export interface QueueEventMap<Result = unknown> {
  /** A job was added to the queue (reaches every group's listeners). */
  added: JobEvent;
  /** A worker of the group started a job. */
  active: JobEvent;
  /** dataNotKept: the progress was over 1 KiB and the job's record no longer holds it. */
  progress: JobEvent<{ data: unknown; dataNotKept?: true }>;
  /**
   * returnvalueNotKept: the return value was over 1 KiB (too large to travel in the event) and
   * the job's record no longer holds it (removed on completion or by retention); returnvalue
   * is then undefined.
   */
  completed: JobEvent<{ returnvalue: Result; returnvalueNotKept?: undefined } | { returnvalue: undefined; returnvalueNotKept: true }>;
  /** A job failed for good (no attempts left, or an UnrecoverableError). */
  failed: JobEvent<{ failedReason: string }>;
  /** An attempt failed and the job will run again after `delay` ms. */
  retrying: JobEvent<{ failedReason: string; delay: number }>;
  /** A job's lease ran out (its worker died or froze); it is delivered again. */
  stalled: JobEvent;
  /** A job was removed. */
  removed: JobEvent;
  /** A job was added with a delay, or its delay changed (reaches every group's listeners). */
  delayed: JobEvent;
  /**
   * A job is ready to run: added without a delay, a delayed job come due (both reach every
   * group's listeners), or a retry of the group come due (or failed without a backoff).
   */
  waiting: JobEvent;
  /** A flow's parent was added: it waits for its children, then comes `waiting` (reaches every group's listeners). */
  'waiting-children': JobEvent;
  /**
   * The group has nothing more it can start now: a worker's lease found fewer jobs than it
   * could take. Once per transition (again only after jobs were leased); once per partition on
   * a partitioned queue.
   */
  drained: (args: { group: string }, eventId: string) => void;
  /** The group was paused (queue.pause()). */
  paused: (args: { group: string }, eventId: string) => void;
  /** The group was resumed (queue.resume()). */
  resumed: (args: { group: string }, eventId: string) => void;
  /** An add was not made: `jobId`, the job holding `deduplicationId`, took it (reaches every group's listeners). */
  deduplicated: JobEvent<{ deduplicationId: string }>;
  /** queue.clean() deleted `count` finished jobs of the group (one event per clean call, when it deleted any). */
  cleaned: (args: { group: string; count: number }, eventId: string) => void;
  /** Reading the events failed (Redis errors); the reader retries by itself. */
  error: (error: Error) => void;
}
