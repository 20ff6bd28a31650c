// A connection through Sentinel follows the sentinels' switch to a new master even while the old
// master is still alive. Found by `npm run chaos` (sentinel-failover): the sentinels failed over a
// second time, away from a master that was still up, and sluice's connections stayed on it, a
// master by its own account, for the ~10 s the sentinels took to demote it; every add it
// acknowledged meanwhile was wiped by the demotion. Here the old master is frozen (SIGSTOP)
// instead: the sentinels promote the replica, and an add sent to the frozen master must reach
// the new one while the old one is still frozen (sluice turns on ioredis's failoverDetector).
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { Queue } from '../../src/index.js';
import { uniquePrefix } from '../helpers/redis.js';
import { quietLogger } from '../helpers/setup.js';
import { startSentinelSet, type TestSentinel } from '../helpers/sentinel.js';
import { waitFor } from '../helpers/wait.js';

let set: TestSentinel | undefined;
afterEach(async () => {
  await set?.stop();
  set = undefined;
});

/** The pid of the redis-server on `port` (one the harness started). */
async function pidOf(port: number): Promise<number> {
  const client = new Redis({ port, host: '127.0.0.1' });
  try {
    return Number(/process_id:(\d+)/.exec(await client.info('server'))![1]);
  } finally {
    client.disconnect();
  }
}

describe('Sentinel: the switch to a new master', () => {
  it('an add waiting on a frozen master is answered by the promoted replica, not by the old master', async () => {
    const s = await startSentinelSet({ replicas: 1 });
    set = s;
    const queue = new Queue<number>('switch', { connection: s.connection, prefix: uniquePrefix(), logger: quietLogger });
    try {
      await queue.add('warm-up', 0);
      const oldPort = await s.masterPort();
      const pid = await pidOf(oldPort);
      process.kill(pid, 'SIGSTOP');
      let added = false;
      try {
        const adding = queue.add('during', 1, { jobId: 'during' }).then(() => {
          added = true;
        });
        const newPort = await s.waitForFailover(oldPort, 30_000);
        // the old master is still frozen: the add can only resolve on the new master
        await waitFor(() => added, 10_000, 'the add to resolve while the old master is frozen');
        await adding;
        const promoted = new Redis({ port: newPort, host: '127.0.0.1' });
        try {
          expect(await promoted.exists(queue.keys.job('during'))).toBe(1);
        } finally {
          promoted.disconnect();
        }
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('a connection ioredis ends by itself (a failover announced while reconnecting) connects again; its held adds go through', async () => {
    const s = await startSentinelSet({ replicas: 1 });
    set = s;
    const queue = new Queue<number>('revive', { connection: s.connection, prefix: uniquePrefix(), logger: quietLogger });
    const sentinelPids = await Promise.all(s.sentinels.map((x) => pidOf(x.port)));
    try {
      await queue.add('warm-up', 0);
      // ioredis internals (5 and 6): the client and its SentinelConnector
      const client = (queue as unknown as { client: Redis }).client;
      const connector = (client as unknown as { connector: { disconnect(): void } }).connector;
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      // the sentinels freeze, so that a reconnect waits in the middle of resolving the master...
      for (const pid of sentinelPids) process.kill(pid, 'SIGSTOP');
      let held: Promise<unknown>[] = [];
      try {
        client.disconnect(true);
        await waitFor(() => client.status === 'connecting', 5000, 'the client resolving the master');
        // adds made meanwhile wait in ioredis's offline queue (one batch, and one with its own id)
        held = [queue.add('held', 2), queue.add('held', 3, { jobId: 'held-3' })];
        await waitFor(() => (client as unknown as { offlineQueue: { length: number } }).offlineQueue.length > 0, 5000, 'the adds queued');
        // ...and what the failover detector of its last connection does on +switch-master
        connector.disconnect();
      } finally {
        for (const pid of sentinelPids) process.kill(pid, 'SIGCONT');
      }
      // ioredis gives up on the connect it was making: the client ends, rejecting what it held
      await ended;
      // sluice connects it again; the held adds, never sent, are sent then, once each
      const [first, second] = (await Promise.all(held)) as { id: string }[];
      expect(second!.id).toBe('held-3');
      expect(await queue.getJobCounts()).toMatchObject({ waiting: 3 });
      expect(await queue.getJob(first!.id)).toBeDefined();
      expect(client.status).toBe('ready');
      expect((await queue.add('after', 1)).id).toBeTruthy();
    } finally {
      for (const pid of sentinelPids) process.kill(pid, 'SIGCONT');
      await queue.close();
    }
  }, 60_000);
});
