// The registry of the queues under a prefix (src/ops/queue-registry.ts): a Queue registers its
// logical name when it gets ready, obliterate unregisters it, and findQueues finds by a keyspace
// walk the queues the registry lacks.
import { describe, expect, it } from 'vitest';
import { findQueues, listQueues, registryKey } from '../../src/ops/queue-registry.js';
import { useRedis } from '../helpers/setup.js';

const t = useRedis();

describe('queue registry', () => {
  it('lists the queues under a prefix, a partitioned one by its own name only; obliterate unregisters', async () => {
    const prefix = t.newPrefix();
    await t.queue('orders').add('a', 1);
    await t.queue('emails', { partitions: 3 }).add('b', 2);
    await t.queue('idle').waitUntilReady();
    expect(await listQueues(t.admin, prefix)).toEqual(['emails', 'idle', 'orders']);
    // another prefix is another registry
    expect(await listQueues(t.admin, `${prefix}-other`)).toEqual([]);
    await t.queue('idle').obliterate();
    await t.queue('emails').obliterate();
    expect(await listQueues(t.admin, prefix)).toEqual(['orders']);
  });

  it('findQueues walks the keyspace for queues the registry lacks, partitions under their queue', async () => {
    const prefix = t.newPrefix();
    await t.queue('orders').add('a', 1);
    await t.queue('emails', { partitions: 2 }).add('b', 2);
    await t.admin.del(registryKey(prefix));
    expect(await listQueues(t.admin, prefix)).toEqual([]);
    expect(await findQueues(t.admin, prefix)).toEqual(['emails', 'orders']);
    expect(await listQueues(t.admin, prefix)).toEqual(['emails', 'orders']);
  });
});
