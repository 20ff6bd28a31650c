// Scheduling, as docs/scheduling.md shows it: delays, deadlines, priorities, debounce and repeating
// jobs. Compiled with the project, so the snippet there stays correct. Run it against a
// Redis with `node dist/examples/scheduling.js` (REDIS_URL, default redis://127.0.0.1:6379).
import { Queue } from '../src/index.js';

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
type Data = Record<string, unknown>;

export async function schedulingTour(queue: Queue<Data>): Promise<void> {
  // delayed: runs in 10 minutes (Redis time), promoted by whichever worker is awake
  const reminder = await queue.add('remind', { user: 7 }, { delay: 10 * 60_000 });
  await reminder.changeDelay(60_000); // or: await reminder.promote();

  // must start within 30 s, or it fails as 'expired' instead of running late
  await queue.add('quote', { symbol: 'ACME' }, { ttl: 30_000 });

  // priorities: 1 runs before 2; jobs without a priority run before all of them
  await queue.add('invoice', { order: 1001 }, { priority: 1 });

  // debounce: many adds within the window leave one job, with the newest data
  for (const rev of [1, 2, 3]) {
    await queue.add('reindex', { doc: 42, rev }, { delay: 2_000, deduplication: { id: 'doc-42', replace: true } });
  }

  // repeating jobs
  await queue.upsertScheduler('daily-report', { pattern: '0 9 * * 1-5', tz: 'Europe/Berlin' }, { name: 'report', data: { kind: 'daily' } });
  await queue.upsertScheduler('heartbeat', { every: 30_000 }, { name: 'ping' });
}

if (process.argv[1]?.endsWith('scheduling.js')) {
  const queue = new Queue<Data>(`scheduling-example-${process.pid}`, { connection });
  schedulingTour(queue)
    .then(async () => {
      console.log(
        await queue.getJobCounts(),
        (await queue.getSchedulers()).map((s) => `${s.key} next ${new Date(s.next!).toISOString()}`),
      );
      await queue.obliterate({ force: true });
      await queue.close();
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
