// A job's recent history, read from its queue's event stream: the stream is read backwards, a
// bounded number of entries (TIMELINE_SCAN in all, shared by a partitioned queue's partitions),
// and the entries naming the job (in its group, or queue-wide) are kept. Events older than the
// bound, or trimmed from the capped stream, are not shown: the timeline says how far it read.
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';

/** The most event stream entries one timeline reads. */
export const TIMELINE_SCAN = 2000;
/** Entries read per XREVRANGE call. */
const STEP = 500;
/** Events that concern every group (they carry no group). */
const QUEUE_WIDE = new Set(['added', 'delayed']);

/** One event of a job, as the timeline gives it. */
export interface JobEvent {
  /** The stream entry id. */
  id: string;
  /** When (ms, the entry id's time). */
  at: number;
  /** The event's name. */
  event: string;
  /** The reason of a failure or retry (cut at 500 characters). */
  reason?: string;
  /** The delay of a retry or a delayed job (ms). */
  delay?: number;
}

/** The events of job `id` in `group` among the newest entries of the queue's event stream(s). */
export async function readJobTimeline(
  queue: Queue,
  group: string,
  id: string,
  bound = TIMELINE_SCAN,
): Promise<{ events: JobEvent[]; scanned: number; bound: number }> {
  const parts = await queueInternals(queue).partitions();
  const perPart = Math.max(1, Math.floor(bound / parts.length));
  const events: JobEvent[] = [];
  let scanned = 0;
  for (const part of parts) {
    const { client, keys } = queueInternals(part);
    let end = '+';
    let left = perPart;
    while (left > 0) {
      const entries = (await client.xrevrange(keys.events, end, '-', 'COUNT', Math.min(STEP, left))) as [string, string[]][];
      scanned += entries.length;
      left -= entries.length;
      for (const [entryId, fields] of entries) {
        const event = toEvent(entryId, fields, group, id);
        if (event) events.push(event);
      }
      if (entries.length < STEP || left <= 0) break;
      end = `(${entries[entries.length - 1]![0]}`;
    }
  }
  events.sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1));
  return { events, scanned, bound };
}

/** The entry as an event of the job, or undefined when it is not one. */
function toEvent(entryId: string, fields: string[], group: string, id: string): JobEvent | undefined {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  const name = f.e ?? '';
  if ((f.g ?? 'default') !== group && !QUEUE_WIDE.has(name)) return undefined;
  if (!(f.j ?? '').split(' ').includes(id)) return undefined;
  const event: JobEvent = { id: entryId, at: Number(entryId.slice(0, entryId.indexOf('-'))), event: name };
  if ((name === 'failed' || name === 'retrying') && f.r !== undefined) event.reason = f.r.slice(0, 500);
  if (f.d !== undefined && Number(f.d) > 0) event.delay = Number(f.d);
  return event;
}
