// A blocking command on a connection that may fail silently. ioredis can leave such a command
// unanswered for good when its connection drops (CLIENT KILL, a restart) or goes half-open, so
// the wait also ends on the connection's 'close' event, or after `silentAfterMs` with no answer
// (then the connection is reset). Used by the worker's idle wait and by QueueEvents.
import type { Redis } from 'ioredis';

export type BlockingOutcome<T> = { kind: 'answer'; value: T } | { kind: 'dropped' } | { kind: 'silent' };

export async function guardBlockingRead<T>(client: Redis, read: Promise<T>, silentAfterMs: number): Promise<BlockingOutcome<T>> {
  let onClose: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const dropped = new Promise<BlockingOutcome<T>>((resolve) => {
    onClose = () => resolve({ kind: 'dropped' });
    client.once('close', onClose);
  });
  const silent = new Promise<BlockingOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'silent' }), silentAfterMs);
  });
  try {
    const outcome = await Promise.race([read.then((value): BlockingOutcome<T> => ({ kind: 'answer', value })), dropped, silent]);
    if (outcome.kind === 'silent') client.disconnect(true);
    return outcome;
  } finally {
    clearTimeout(timer);
    client.off('close', onClose!);
  }
}
