// Watchdogs for commands on a connection that may fail silently. ioredis can leave a command
// unanswered for good when its connection drops (CLIENT KILL, a restart) or goes half-open.
// guardBlockingRead ends a blocking read also on the connection's 'close' event, or after
// `silentAfterMs` with no answer (then it resets the connection): used by the worker's idle wait
// and by QueueEvents. withTimeout only races a call against a timer: the caller decides what a
// silence means (the worker loop resets its connection and abandons its lease calls). Neither
// cancels the command.
import type { Redis } from 'ioredis';

/** Node fires a timer longer than this at once (options are capped well below it; a backstop). */
const MAX_TIMER_MS = 2 ** 31 - 1;

export type BlockingOutcome<T> = { kind: 'answer'; value: T } | { kind: 'dropped' } | { kind: 'silent' };

export async function guardBlockingRead<T>(client: Redis, read: Promise<T>, silentAfterMs: number): Promise<BlockingOutcome<T>> {
  let onClose: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const dropped = new Promise<BlockingOutcome<T>>((resolve) => {
    onClose = () => resolve({ kind: 'dropped' });
    client.once('close', onClose);
  });
  const silent = new Promise<BlockingOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'silent' }), Math.min(silentAfterMs, MAX_TIMER_MS));
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

/** `call`'s answer, or 'timeout' when none came within `ms` (a rejection passes through). */
export function withTimeout<T>(call: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const dog = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.min(ms, MAX_TIMER_MS));
  });
  return Promise.race([call, dog]).finally(() => clearTimeout(timer));
}
