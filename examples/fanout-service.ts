// One service of the fan-out example (examples/fanout.ts forks three of these): it subscribes
// to the "shop-orders" queue as its own consumer group and handles every order its way.
// Billing charges, email sends a confirmation (and fails now and then: its retries stay in the
// email group), analytics counts. Run alone: SERVICE=billing REDIS_URL=... node dist/examples/fanout-service.js
import { pino } from 'pino';
import { Worker, type Job } from '../src/index.js';

export const FANOUT_QUEUE = 'shop-orders';
export const SERVICES = ['billing', 'email', 'analytics'] as const;
export type Service = (typeof SERVICES)[number];

export interface PlacedOrder {
  order: number;
  customer: string;
  totalCents: number;
}

/** Service → launcher, over IPC. */
export type ServiceMessage = { type: 'ready'; service: Service } | { type: 'handled'; service: Service; order: number; attempt: number };

const handlers: Record<Service, (job: Job<PlacedOrder>) => Promise<unknown>> = {
  billing: async (job) => ({ charged: job.data.totalCents }),
  email: async (job) => {
    // the mail relay refuses every 7th order once: the retry happens in the email group only
    if (job.data.order % 7 === 0 && job.attemptsMade === 0) throw new Error('mail relay busy');
    return { sentTo: `${job.data.customer}@example.com` };
  },
  analytics: async (job) => ({ counted: job.data.order }),
};

export function startService(
  service: Service,
  connection: string,
  prefix: string | undefined,
  report: (m: ServiceMessage) => void,
): Worker<PlacedOrder> {
  const worker = new Worker<PlacedOrder>(
    FANOUT_QUEUE,
    async (job) => {
      const result = await handlers[service](job);
      report({ type: 'handled', service, order: job.data.order, attempt: job.attemptsMade + 1 });
      return result;
    },
    { connection, prefix, group: service, concurrency: 10, logger: pino({ level: process.env.SLUICE_LOG_LEVEL ?? 'warn' }) },
  );
  void worker.waitUntilReady().then(() => report({ type: 'ready', service }));
  return worker;
}

// run as a process (forked by fanout.ts, or by hand)
if (process.env.SERVICE) {
  const service = process.env.SERVICE as Service;
  if (!SERVICES.includes(service)) throw new Error(`SERVICE must be one of ${SERVICES.join(', ')}`);
  const send = (m: ServiceMessage) => {
    if (process.send && process.connected) process.send(m);
    else console.log(JSON.stringify(m));
  };
  const worker = startService(service, process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', process.env.SLUICE_PREFIX, send);
  const stop = () => void worker.close({ timeoutMs: 5000 }).then(() => process.exit(0));
  process.on('message', (m) => m === 'stop' && stop());
  process.on('SIGTERM', stop);
}
