#!/usr/bin/env node
// sluice command line: a first, small set of inspection commands (grows later).
import { Queue } from './index.js';

const [command, queueName] = process.argv.slice(2);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function main(): Promise<void> {
  if (command !== 'counts' || !queueName) {
    console.log('usage: sluice counts <queue>    (REDIS_URL selects the Redis, default redis://127.0.0.1:6379)');
    process.exitCode = command ? 2 : 0;
    return;
  }
  const queue = new Queue(queueName, { connection: url, evictionPolicy: 'ignore' });
  try {
    console.log(JSON.stringify(await queue.getJobCounts(), null, 2));
  } finally {
    await queue.close();
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
