// Backpressure rejections: jobs a Queue refused because the queue was full (QueueFullError from
// maxLength), counted in the queue's (or partition's) metrics hash with one HINCRBY on the
// rejection path only. Installed around Queue's add and addBulk by addMetricsMethods, so the
// adds that succeed pay nothing.
import { QueueFullError } from '../errors.js';
import { queueInternals } from '../queue/queue-internals.js';

type Method = (...args: unknown[]) => Promise<unknown>;

/** How many jobs a QueueFullError refused: addBulk's not-added ones, else the one add. */
function refused(err: QueueFullError): number {
  return err.notAdded.length > 0 ? err.notAdded.length : 1;
}

/** Wraps `add` and `addBulk` of `proto` to count the jobs refused by a full queue. */
export function countRejections(proto: Record<string, unknown>): void {
  for (const name of ['add', 'addBulk']) {
    const original = proto[name] as Method;
    const counted = function (this: object, ...args: unknown[]): Promise<unknown> {
      return original.apply(this, args).catch(async (err: unknown) => {
        if (err instanceof QueueFullError) {
          const q = queueInternals(this);
          await q.client.hincrby(q.keys.metrics, 'rejected', refused(err)).catch(() => undefined);
        }
        throw err;
      });
    };
    Object.defineProperty(counted, 'name', { value: name });
    Object.defineProperty(proto, name, { value: counted, writable: true, configurable: true, enumerable: false });
  }
}
