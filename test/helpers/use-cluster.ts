// The per-file vitest fixture of a local Redis Cluster (test/helpers/cluster.ts starts it): one
// cluster for the file, a unique prefix per test, everything closed after each test.
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type ClusterShape, startCluster, type TestCluster } from './cluster.js';
import { withQueues } from './setup.js';

/** The per-file fixture: one cluster for the file, a unique prefix per test, everything closed after each test. */
export function useCluster(masters = 3, shape: ClusterShape = {}) {
  let cluster: TestCluster | undefined;
  let admin: Cluster | undefined;

  beforeAll(async () => {
    cluster = await startCluster(masters, shape);
  });
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.stop();
  });

  const ctx = withQueues(
    {
      get cluster(): TestCluster {
        if (!cluster) throw new Error('cluster not started');
        return cluster;
      },
      /** The seed URLs: what a user passes as `connection`. */
      get urls(): string[] {
        return ctx.cluster.urls;
      },
      /** An ioredis Cluster of the file's cluster, for looking at keys (made on first use). */
      get admin(): Cluster {
        admin ??= new Cluster(ctx.urls);
        return admin;
      },
    },
    () => ctx.urls,
  );
  return ctx;
}
