// The README's quick start, worker side. It is compiled with the rest (tsc), so the README's
// sample cannot drift from the API. In your own code, import from 'sluice'.
// Run: npm run build && node dist/examples/quickstart-worker.js  (Ctrl-C stops it gracefully)
import { Worker, UnrecoverableError, shutdownOnSignals } from '../src/index.js';

async function sendEmail(to: string, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted(); // stands in for your mail client, which should honour the signal
  return `queued-for-${to}`;
}

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const worker = new Worker<{ to: string }, { messageId: string }>(
  'emails',
  async (job, { signal }) => {
    if (!job.data.to.includes('@')) throw new UnrecoverableError(`"${job.data.to}" is not an address`);
    await job.log(`attempt ${job.attemptsMade + 1} for ${job.data.to}`);
    return { messageId: await sendEmail(job.data.to, signal) }; // your code; honour the signal
  },
  { connection, concurrency: 10 },
);

worker.on('completed', (job, result) => console.log(`${job.id} sent: ${result.messageId}`));
worker.on('failed', (job, err, willRetry) => console.warn(`${job?.id} failed: ${err.message}${willRetry ? ' (will retry)' : ''}`));
shutdownOnSignals([worker]); // SIGINT/SIGTERM: finish running jobs (or hand them back), then exit
