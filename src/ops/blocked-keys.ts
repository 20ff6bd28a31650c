// The ordering keys of a group that have jobs waiting and cannot start one now, and why: all
// the key's slots are held (keyConcurrency), or its per-key rate limit parked it. One call
// reads one HSCAN page of the group's key-state hash (`g:G:keyst`, docs/key-schema.md) and,
// for the keys of that page only, their slots, line length and parking: bounded work whatever
// the number of keys. The caller pages on with the cursor, which on a partitioned queue walks the
// partitions one after another (`<partition>:<HSCAN cursor>`).
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { MetaField } from '../redis/keys.js';

/** HSCAN's COUNT hint per page. */
export const BLOCKED_KEYS_SCAN = 200;

/** An ordering key that cannot start its waiting jobs now. */
export interface BlockedKeyInfo {
  /** The ordering key. */
  key: string;
  /** Its jobs waiting. */
  waiting: number;
  /** The slots it holds. */
  running: number;
  /** `concurrency`: every slot held; `rate-limit`: parked by the per-key limit. */
  reason: 'concurrency' | 'rate-limit';
  /** Until when a parked key waits (ms), or null. */
  until: number | null;
}

/** Where a page starts: `<partition>:<HSCAN cursor>`, or a bare HSCAN cursor (partition 0). */
function parseCursor(cursor: string): { part: number; scan: string } {
  const colon = cursor.indexOf(':');
  return colon < 0 ? { part: 0, scan: cursor } : { part: Number(cursor.slice(0, colon)), scan: cursor.slice(colon + 1) };
}

/** One page of a group's blocked ordering keys, and the cursor of the next page (null at the end). */
export async function readBlockedKeys(
  queue: Queue,
  group: string,
  cursor = '0',
): Promise<{ keys: BlockedKeyInfo[]; keyConcurrency: number; next: string | null }> {
  const parts = await queueInternals(queue).partitions();
  const at = parseCursor(cursor);
  const part = parts[at.part];
  if (!part) return { keys: [], keyConcurrency: 1, next: null };
  const { client, keys } = queueInternals(part);
  const g = keys.group(group);
  const [scanNext, flat] = await client.hscan(g.keyState, at.scan, 'COUNT', BLOCKED_KEYS_SCAN);
  const next =
    scanNext !== '0' ? (parts.length > 1 ? `${at.part}:${scanNext}` : scanNext) : at.part + 1 < parts.length ? `${at.part + 1}:0` : null;
  const names = new Set<string>();
  for (let i = 0; i < flat.length; i += 2) {
    const field = flat[i]!;
    if (field.startsWith('a:') || field.startsWith('r:')) names.add(field.slice(2));
  }
  const keyConcurrency = Number((await client.hget(keys.meta, MetaField.keyConcurrency(group))) ?? 1) || 1;
  const list = [...names];
  const pipeline = client.pipeline();
  for (const key of list) {
    pipeline.hget(g.keyState, `a:${key}`);
    pipeline.llen(`${keys.base}g:${group}:key:${key}`);
    pipeline.zscore(g.keyWait, key);
  }
  const replies = list.length ? ((await pipeline.exec()) ?? []) : [];
  const value = (i: number): unknown => {
    const [err, v] = replies[i] ?? [null, null];
    if (err) throw err;
    return v;
  };
  const blocked: BlockedKeyInfo[] = [];
  list.forEach((key, n) => {
    const running = Number(value(n * 3)) || 0;
    const waiting = Number(value(n * 3 + 1)) || 0;
    const parked = value(n * 3 + 2);
    if (waiting === 0) return;
    if (parked !== null) blocked.push({ key, waiting, running, reason: 'rate-limit', until: Number(parked) });
    else if (running >= keyConcurrency) blocked.push({ key, waiting, running, reason: 'concurrency', until: null });
  });
  return { keys: blocked, keyConcurrency, next };
}
