// The durable mode (`durability`) on a Redis Cluster: WAIT has no key, so sluice sends it to the
// connection of the master that serves the queue's slot, after the add (src/redis/durability.ts).
// A 3-master cluster with a replica each: an add resolves once the slot's replica holds the
// job; with that replica frozen, the add is refused (ReplicationTimeoutError) while a plain
// queue's add still resolves; and after the master is killed, every add that resolved is on the
// promoted replica.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ReplicationTimeoutError } from '../../src/index.js';
import { namesOnDistinctMasters } from '../helpers/cluster.js';
import { useCluster } from '../helpers/use-cluster.js';
import { waitFor } from '../helpers/wait.js';

const CANDIDATES = Array.from({ length: 40 }, (_, i) => `d${i}`);

describe('Redis Cluster: durable adds (WAIT)', () => {
  const t = useCluster(3, { replicasPerMaster: 1, nodeTimeoutMs: 1000 });

  it("WAIT reaches the queue's master: refused while its replica is frozen, confirmed once it runs", async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const key = `${t.prefix}:{${name}}:x`;
    const { replicas } = await t.cluster.masterOf(key);
    const durable = t.queue<number>(name!, { durability: { replicas: 1, timeoutMs: 300 } });
    const plain = t.queue<number>(name!);
    await durable.add('a', 1, { jobId: 'first' });
    // the replica holds it the moment add() resolved
    const replica = new Redis({ port: replicas[0]!, host: '127.0.0.1' });
    try {
      await replica.call('READONLY');
      expect(await replica.exists(durable.keys.job('first'))).toBe(1);
      const pid = Number(/process_id:(\d+)/.exec(await replica.info('server'))![1]);
      process.kill(pid, 'SIGSTOP');
      try {
        await expect(durable.add('b', 2, { jobId: 'second' })).rejects.toBeInstanceOf(ReplicationTimeoutError);
        expect((await plain.add('c', 3, { jobId: 'third' })).id).toBe('third');
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      // the refused add is on the master: adding it again is safe, and confirmed once the
      // replica has caught up
      await waitFor(
        () =>
          durable.add('b', 2, { jobId: 'second' }).then(
            () => true,
            () => false,
          ),
        10_000,
        'a confirmed add',
      );
      expect(await replica.exists(durable.keys.job('second'))).toBe(1);
    } finally {
      replica.disconnect();
    }
  });

  it('every add that resolved survives the SIGKILL of the master', async () => {
    t.newPrefix();
    const [name] = await namesOnDistinctMasters(t.admin, t.prefix, CANDIDATES, 1);
    const key = `${t.prefix}:{${name}}:x`;
    const durable = t.queue<number>(name!, { durability: { replicas: 1, timeoutMs: 500 } });
    const acknowledged: string[] = [];
    let refused = 0;
    let stop = false;
    const producer = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          await durable.add('n', i, { jobId: `job-${i}` });
          acknowledged.push(`job-${i}`);
        } catch {
          refused++; // refused (no replica confirmed it) or unreachable: not acknowledged
        }
      }
    })();
    await waitFor(() => acknowledged.length >= 200, 10_000, '200 acknowledged adds');
    const { port } = await t.cluster.killMasterOf(key);
    const promoted = await t.cluster.waitForFailover(key, port, 15_000);
    // the promoted replica has no replica of its own: further durable adds are refused
    stop = true;
    await producer;
    const master = new Redis({ port: promoted, host: '127.0.0.1' });
    try {
      const pipeline = master.pipeline();
      for (const id of acknowledged) pipeline.exists(durable.keys.job(id));
      const found = (await pipeline.exec())!.map(([, n]) => n);
      const lost = acknowledged.filter((_, i) => found[i] !== 1);
      if (process.env.SLUICE_REPORT)
        console.log('cluster durable failover:', { acknowledged: acknowledged.length, refused, lost: lost.length });
      expect(lost).toEqual([]);
    } finally {
      master.disconnect();
    }
  });
});
