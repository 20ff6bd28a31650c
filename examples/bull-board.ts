// Bull Board over sluice queues, as docs/bull-board.md shows it: one SluiceAdapter per queue and
// consumer group, mounted in an express app. Compiled with the rest (tsc), and the tests in
// test/bull-board drive this very app, so the page's sample cannot drift. In your own code,
// import from 'sluice' and 'sluice/bull-board'.
// Run: npm run build && node dist/examples/bull-board.js  (REDIS_URL picks the Redis; then open
// http://127.0.0.1:3000/admin/queues)
import { pathToFileURL } from 'node:url';
import { createBullBoard } from '@bull-board/api';
import { ExpressAdapter } from '@bull-board/express';
import express from 'express';
import { SluiceAdapter } from '../src/bull-board/index.js';
import { Queue } from '../src/index.js';

/** An express app with Bull Board at `basePath`, showing the given adapters. */
export function boardApp(adapters: SluiceAdapter[], basePath = '/admin/queues'): express.Express {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(basePath);
  createBullBoard({ queues: adapters, serverAdapter });
  const app = express();
  app.use(basePath, serverAdapter.getRouter());
  return app;
}

async function main(): Promise<void> {
  const connection = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const orders = new Queue<{ orderId: string }>('orders', { connection });
  await orders.createGroup('audit'); // a second consumer group: its own entry on the board
  await orders.add('charge', { orderId: 'A-1001' });
  const app = boardApp([
    new SluiceAdapter(orders), // the default group, listed as "orders"
    new SluiceAdapter(orders, { group: 'audit', readOnlyMode: true }), // listed as "orders:audit"
  ]);
  app.listen(3000, () => console.log('Bull Board on http://127.0.0.1:3000/admin/queues'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
