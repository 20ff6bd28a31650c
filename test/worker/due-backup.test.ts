// The backup check of a due time (src/worker/idle-wait.ts): the idle worker that holds the next
// due time leaves a backup member for another idle worker, and never takes it itself, so that
// killing the holder leaves the check with a live worker (test/faults/crash.test.ts kills one).
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/index.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('the backup check of a due time', () => {
  const t = useRedis();

  it('the holder leaves its backup for another worker; a worker that comes idle later takes it', async () => {
    t.newPrefix();
    const queue = t.queue('due');
    const g = queue.keys.group('default');
    const done: Job[] = [];
    const first = t.worker('due', async () => 'ok', { blockMs: 30_000 });
    first.on('completed', (job) => done.push(job));
    await first.waitUntilReady();
    const job = await queue.add('later', null, { delay: 2500 });
    // the lone idle worker holds the due time: the marker is taken, the backup waits for another
    await waitFor(
      async () => (await t.admin.exists(g.wake)) === 0 && (await t.admin.zscore(g.wakeBackup, 'b')) !== null,
      2000,
      'the backup left',
    );
    const second = t.worker('due', async () => 'ok', { blockMs: 30_000 });
    second.on('completed', (j) => done.push(j));
    await waitFor(async () => (await t.admin.exists(g.wakeBackup)) === 0, 2000, 'the second worker took the backup');
    await waitFor(() => done.length === 1, 5000, 'the delayed job ran');
    expect(done[0]!.id).toBe(job.id);
    expect(done[0]!.processedOn! - job.timestamp).toBeGreaterThanOrEqual(2500);
  });
});
