// The Job that add()/addBulk() return carries the timestamp the job keeps in Redis: a plain
// job's is its stream entry's time, which can be a ms or more past the enqueue script's clock
// read when the script runs long (a large batch).
import { describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';

describe('timestamps of added jobs', () => {
  const t = useRedis();

  it('a plain job returned by addBulk has the timestamp read back from Redis', async () => {
    t.newPrefix();
    const queue = t.queue<{ i: number; pad: string }>('ts');
    // 250 jobs of 20 KB in one script call: it spans several ms
    const pad = 'x'.repeat(20_000);
    const jobs = await queue.addBulk(Array.from({ length: 250 }, (_, i) => ({ name: 'n', data: { i, pad } })));
    const spanMs = Number(jobs.at(-1)!.id.split('-')[0]) - Number(jobs[0]!.id.split('-')[0]);
    expect(spanMs, 'the batch spans more than one ms (else this test proves nothing)').toBeGreaterThan(0);
    const stored = await queue.getJobs('waiting', 0, 999);
    expect(stored.map((j) => j.timestamp)).toEqual(jobs.map((j) => j.timestamp));
  });
});
