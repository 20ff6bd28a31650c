// What one dashboard holds while it runs: its Redis connection (its own, or the client it was
// given), one Queue per queue name (made on first use; only registered queues, so a URL cannot
// make Queues or registry entries for names that do not exist), and its CSRF token.
import type { Redis } from 'ioredis';
import { Queue } from '../queue/queue.js';
import { closeClient, createClient } from '../redis/connection.js';
import { registryKey } from '../ops/queue-registry.js';
import { validateGroupName, validateQueueName } from '../validate.js';
import { SluiceError } from '../errors.js';
import { HttpError } from './http-replies.js';
import type { ResolvedDashboardOptions } from './options.js';
import { newCsrfToken } from './security.js';

/** The most Queue objects a dashboard keeps (the least recently used one is closed past it). */
const MAX_CACHED_QUEUES = 1000;

/** A running dashboard's connection, Queues and token. */
export class DashboardContext {
  /** The dashboard's Redis client. */
  readonly client: Redis;
  /** The token every POST must carry. */
  readonly csrfToken = newCsrfToken();
  private readonly owned: boolean;
  private readonly queues = new Map<string, Queue>();
  private closed = false;

  constructor(readonly options: ResolvedDashboardOptions) {
    const { client, owned } = createClient(options.connection, 'producer');
    this.client = client;
    this.owned = owned;
    if (owned) client.on('error', (err) => options.logger?.debug({ err }, 'dashboard redis connection error'));
  }

  /** The Queue of a registered queue (404 for a name not in the registry, 400 for a malformed one). */
  async queue(name: string): Promise<Queue> {
    if (this.closed) throw new HttpError(503, 'CLOSED', 'the dashboard is closed');
    const checked = checkName(() => validateQueueName(name));
    const cached = this.queues.get(checked);
    if (cached) {
      this.queues.delete(checked);
      this.queues.set(checked, cached);
      return cached;
    }
    if ((await this.client.sismember(registryKey(this.options.prefix), checked)) !== 1) {
      throw new HttpError(404, 'NOT_FOUND', `no queue "${checked}" under prefix "${this.options.prefix}"`);
    }
    const queue = new Queue(checked, {
      connection: this.client,
      prefix: this.options.prefix,
      evictionPolicy: 'ignore',
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
    this.queues.set(checked, queue);
    if (this.queues.size > MAX_CACHED_QUEUES) {
      const [oldest, old] = this.queues.entries().next().value as [string, Queue];
      this.queues.delete(oldest);
      void old.close().catch(() => undefined);
    }
    return queue;
  }

  /** Closes the Queues, and the connection when the dashboard made it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
    await closeClient(this.client, this.owned);
  }
}

/** A group name from a URL, checked (400 when malformed). */
export function groupName(name: string): string {
  return checkName(() => validateGroupName(name));
}

function checkName(check: () => string): string {
  try {
    return check();
  } catch (err) {
    if (err instanceof SluiceError) throw new HttpError(400, 'BAD_REQUEST', err.message);
    throw err;
  }
}
