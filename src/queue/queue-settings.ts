// The queue-wide settings a Queue's options carry (event stream caps, history retention,
// maxLength), written to the queue's meta hash where the scripts read them (invariant 11,
// docs/invariants.md: read before any write). An option left out keeps what Redis holds: any
// Queue of the queue may have set it.
import type { Redis } from 'ioredis';
import { MetaField, type QueueKeys } from '../redis/keys.js';
import type { ResolvedQueueOptions } from './queue-options.js';

export async function writeQueueSettings(client: Redis, keys: QueueKeys, options: ResolvedQueueOptions): Promise<void> {
  const { eventsMaxLen, eventsMaxAgeMs, retention, maxLength } = options;
  if (eventsMaxLen !== undefined) await client.hset(keys.meta, MetaField.eventsMaxLen, eventsMaxLen);
  if (eventsMaxAgeMs !== undefined) await client.hset(keys.meta, MetaField.eventsMaxAgeMs, eventsMaxAgeMs);
  if (retention) await client.hset(keys.meta, MetaField.keepLen, retention.keepLen, MetaField.keepAgeMs, retention.keepAgeMs);
  if (maxLength === null) await client.hdel(keys.meta, MetaField.maxLength);
  else if (maxLength !== undefined) await client.hset(keys.meta, MetaField.maxLength, maxLength);
}
