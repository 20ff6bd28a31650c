// What a Job object needs from whoever made it: the queue's client and scripts (JobContext),
// and for a job handed to a processor, the worker's hold on its lease (LeaseHandle).
import type { Redis } from 'ioredis';
import type { Scripts } from '../redis/scripts.js';

/** What a job needs to reach its queue. */
export interface JobContext {
  client: Redis;
  scripts: Scripts;
  queueName: string;
  group: string;
  maxPayloadBytes: number;
}

/** Given by the worker to the jobs it runs: extends their lease in its lease keeper. */
export interface LeaseHandle {
  extend(ms: number): Promise<boolean>;
  /** Sets when the job runs again if its processor throws DelayedError without a delay (ms, local clock). */
  deferUntil(timestamp: number): void;
}
