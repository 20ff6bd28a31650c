// Fan-out (`npm run example:fanout`): an order is published once to the "shop-orders" queue and
// handled by three services — billing, email and analytics — each its own process and its own
// consumer group. Every group receives every order and keeps its own retries and counts.
// Redis: REDIS_URL, else 127.0.0.1:6379, else a private redis-server (as the demo does).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Queue } from '../src/index.js';
import { resolveRedis } from './embedded-redis.js';
import { FANOUT_QUEUE, SERVICES, type PlacedOrder, type Service, type ServiceMessage } from './fanout-service.js';

export interface FanoutReport {
  /** Orders handled per service (every order once per service, retries not counted twice). */
  handled: Record<Service, number>;
  /** Completed jobs per group, as the queue counts them. */
  completed: Record<Service, number>;
  /** Attempts the email service needed beyond the first. */
  emailRetries: number;
}

/** Publishes `orders` orders once; three service processes handle them. Resolves when all three are done. */
export async function runFanout(connection: string, prefix: string, orders = 50, timeoutMs = 30_000): Promise<FanoutReport> {
  const queue = new Queue<PlacedOrder>(FANOUT_QUEUE, { connection, prefix, logger: pino({ level: 'warn' }) });
  // subscribe the three groups before publishing: each receives every order from now on
  for (const service of SERVICES) await queue.createGroup(service);
  const script = fileURLToPath(new URL('./fanout-service.js', import.meta.url));
  const handled = new Map<Service, Set<number>>(SERVICES.map((s) => [s, new Set()]));
  let emailRetries = 0;
  const ready = new Set<Service>();
  const children: ChildProcess[] = SERVICES.map((service) => {
    const child = fork(script, [], { env: { ...process.env, SERVICE: service, REDIS_URL: connection, SLUICE_PREFIX: prefix } });
    child.on('message', (m: ServiceMessage) => {
      if (m.type === 'ready') ready.add(m.service);
      else {
        handled.get(m.service)!.add(m.order);
        if (m.attempt > 1) emailRetries++;
      }
    });
    return child;
  });
  const deadline = Date.now() + timeoutMs;
  const until = async (done: () => boolean, what: string) => {
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`fan-out example: timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await until(() => ready.size === SERVICES.length, 'the services to start');
    // published once; each group retries on its own (attempts and backoff travel with the job)
    const opts = { attempts: 3, backoff: { type: 'exponential' as const, delay: 50 } };
    await queue.addBulk(
      Array.from({ length: orders }, (_, i) => ({
        name: 'order-placed',
        data: { order: i + 1, customer: `c${i % 9}`, totalCents: 1000 + i },
        opts,
      })),
    );
    await until(() => SERVICES.every((s) => handled.get(s)!.size === orders), 'every service to handle every order');
    const completed = {} as Record<Service, number>;
    for (const service of SERVICES) {
      completed[service] = (await queue.getJobCounts({ group: service })).completed;
    }
    return {
      handled: Object.fromEntries(SERVICES.map((s) => [s, handled.get(s)!.size])) as Record<Service, number>,
      completed,
      emailRetries,
    };
  } finally {
    for (const child of children) if (child.connected) child.send('stop');
    await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    // the example's own queue only (its prefix is unique): every group's records go with it
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const redis = await resolveRedis();
  try {
    const report = await runFanout(redis.url, `fanout-${randomBytes(3).toString('hex')}`, 50);
    console.log('one publish, three services:');
    for (const service of SERVICES)
      console.log(`  ${service.padEnd(9)} handled ${report.handled[service]} orders, group counts ${report.completed[service]} completed`);
    console.log(`  email retried ${report.emailRetries} orders in its own group; billing and analytics never saw those failures`);
  } finally {
    await redis.stop();
  }
}
