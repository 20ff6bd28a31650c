// Without a sandbox, a processor that blocks the worker's event loop stops lease renewal: the
// worker says so in its log (src/worker/lease-keeper.ts), with how long the loop was blocked.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('a blocked event loop', () => {
  const t = useRedis();

  it('is logged as a warning, with how long it lasted', async () => {
    t.newPrefix();
    const queue = t.queue('blocked');
    const lines: { level: number; msg: string; blockedMs?: number }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    let done = 0;
    const worker = t.worker(
      'blocked',
      () => {
        const end = Date.now() + 2500;
        while (Date.now() < end); // CPU-bound, in the worker's own thread
        return 'spun';
      },
      { leaseMs: 3000, logger },
    );
    worker.on('completed', () => done++);
    await queue.add('spin', null);
    await waitFor(() => done === 1, 10_000, 'the job completed');
    const blockedWarning = () => lines.find((l) => /event loop was blocked/.test(l.msg));
    await waitFor(() => blockedWarning() !== undefined, 5000, 'the warning');
    const warning = blockedWarning();
    expect(warning?.blockedMs).toBeGreaterThanOrEqual(1000);
    expect(warning?.msg).toMatch(/sandbox/);
  });
});
