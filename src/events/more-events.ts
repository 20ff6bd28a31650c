// Decoding of the newer QueueEvents events (docs/events.md): waiting (derived
// from added and retrying where they already say it, else written by the lease's promotion of
// due jobs), drained, paused, resumed, deduplicated and cleaned. Kept apart from
// queue-events.ts, which reads the stream and serves waiters.
import type { QueueEventMap } from './event-map.js';

/** The events decoded here. */
type MoreEvent = 'waiting' | 'waiting-children' | 'drained' | 'paused' | 'resumed' | 'deduplicated' | 'cleaned';

/** Emits one of them on the QueueEvents (its emit, with the map's argument types). */
export type MoreEmit = <K extends MoreEvent>(event: K, ...args: Parameters<QueueEventMap[K]>) => void;

/** Raw events about the queue as a whole (no g field): they reach every group's listeners. */
const QUEUE_WIDE = new Set(['added', 'delayed', 'due', 'deduplicated']);

/** Whether a raw event (field e) reaches every group's listeners. */
export function isQueueWide(event: string | undefined): boolean {
  return QUEUE_WIDE.has(event ?? '');
}

/**
 * Emits what a raw event `f` (fields by name; `ids`: its j field split) means for the events
 * decoded here. Returns false for an event it does not know (nor added/retrying, which it only
 * derives from).
 */
export function dispatchMore(emit: MoreEmit, group: string, eventId: string, f: Record<string, string>, ids: string[]): boolean {
  switch (f.e) {
    case 'added': {
      // the jobs added with a delay are named by position (dl); the others wait
      // and the flow parents added waiting for their children (wc)
      const delayed = new Set((f.dl ?? '').split(' ').filter(Boolean).map(Number));
      const parents = new Set((f.wc ?? '').split(' ').filter(Boolean).map(Number));
      ids.forEach((jobId, i) => {
        if (parents.has(i)) emit('waiting-children', { jobId }, eventId);
        else if (!delayed.has(i)) emit('waiting', { jobId }, eventId);
      });
      return true;
    }
    case 'retrying':
      if (Number(f.d ?? 0) <= 0) for (const jobId of ids) emit('waiting', { jobId }, eventId);
      return true;
    case 'due':
    case 'waiting':
      for (const jobId of ids) emit('waiting', { jobId }, eventId);
      return true;
    case 'drained':
    case 'paused':
    case 'resumed':
      emit(f.e, { group }, eventId);
      return true;
    case 'deduplicated': {
      const dedupIds = (f.k ?? '').split(' ');
      ids.forEach((jobId, i) => {
        emit('deduplicated', { jobId, deduplicationId: dedupIds[i] ?? '' }, eventId);
      });
      return true;
    }
    case 'cleaned':
      emit('cleaned', { group, count: Number(f.c ?? 0) }, eventId);
      return true;
    default:
      return false;
  }
}
