// The README's quick start, producer side. It is compiled with the rest (tsc), so the README's
// sample cannot drift from the API. In your own code, import from 'sluice'.
// Run: npm run build && node dist/examples/quickstart-producer.js  (REDIS_URL picks the Redis)
import { Queue } from '../src/index.js';

const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queue = new Queue<{ to: string }>('emails', { connection });

await queue.add('welcome', { to: 'ada@example.com' }, { attempts: 3, backoff: { type: 'exponential', delay: 1000 } });
await queue.add('reminder', { to: 'ada@example.com' }, { delay: 60_000 }); // runs in a minute
await queue.addBulk(['bob', 'eve'].map((who) => ({ name: 'welcome', data: { to: `${who}@example.com` } })));
console.log(await queue.getJobCounts()); // { waiting: 3, active: 0, delayed: 1, completed: 0, failed: 0, paused: false, ... }
await queue.close();
