// Request/reply over a queue (Queue.call): add a job and wait for its result, through one
// QueueEvents reader per consumer group, opened on the first call and kept until the Queue
// closes. It does not run jobs; any worker of the group does.
import type { Job } from '../job/job.js';
import { QueueEvents, type QueueEventsOptions } from './queue-events.js';

export class RequestReply<Result> {
  private readonly readers = new Map<string, QueueEvents>();

  /** The group readers are made with the Queue's connection, prefix and logger (`base`). */
  constructor(
    private readonly queue: string,
    private readonly base: Omit<QueueEventsOptions, 'group'>,
  ) {}

  /** Adds the job with `add` once the group's reader listens, then waits for its outcome. */
  async call(group: string, add: () => Promise<Job<unknown, Result>>, timeoutMs: number): Promise<Result> {
    let events = this.readers.get(group);
    if (!events) {
      events = new QueueEvents(this.queue, { ...this.base, group });
      this.readers.set(group, events);
    }
    await events.waitUntilReady();
    const job = await add();
    return job.waitUntilFinished(events, timeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.readers.values()].map((e) => e.close()));
  }
}
