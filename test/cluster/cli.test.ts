// The CLI on a Redis Cluster (docs/cli.md): with --cluster, --url is one seed node; the commands
// reach every queue's slot wherever it lives, and `queues --scan` walks every master.
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueueOverview } from '../../src/ops/overview.js';
import { useCluster } from '../helpers/use-cluster.js';
import { waitFor } from '../helpers/wait.js';
import { checkBuilt, sluice, sluiceJson } from '../cli/run-cli.js';

const t = useCluster(3);
beforeAll(() => checkBuilt());

describe('the CLI on a Redis Cluster', () => {
  it('reads and acts on queues of every master through one seed', async () => {
    const prefix = t.newPrefix();
    const seed = ['--cluster', '--url', t.urls[0]!, '--prefix', prefix];
    const names = ['orders', 'emails', 'invoices', 'reports'];
    for (const name of names) await t.queue(name).addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'n', data: i })));
    const failed = t.queue<number>('orders');
    t.worker<number>('orders', async () => {
      throw new Error('no');
    });
    await waitFor(async () => (await failed.getJobCounts()).failed === 3, 10_000, 'three failures');

    expect((await sluiceJson<{ queues: string[] }>(['queues', ...seed])).queues).toEqual([...names].sort());
    for (const name of names) {
      const overview = await sluiceJson<QueueOverview>(['stats', name, ...seed]);
      expect(overview.groups[0]!.counts.waiting + overview.groups[0]!.counts.failed, name).toBe(3);
    }
    const retried = await sluice(['retry', 'orders', '--all-failed', '--yes', ...seed]);
    expect(retried.code, retried.stderr).toBe(0);
    await t.admin.del(`${prefix}:queues`);
    expect((await sluiceJson<{ queues: string[] }>(['queues', '--scan', ...seed])).queues).toEqual([...names].sort());
  });
});
