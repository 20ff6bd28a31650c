// An HTTP handler for Prometheus to scrape: the metrics of every queue under a prefix (listed by
// the queue registry, src/ops/queue-registry.ts) or of the queues given, in the text format. A
// plain Node (req, res) handler: mount it on http.createServer, or on a route of any framework.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeClient, createClient, type ConnectionInput } from '../redis/connection.js';
import { listQueues } from '../ops/queue-registry.js';
import { Queue } from '../queue/queue.js';
import { validatePrefix, validateQueueName } from '../validate.js';
import { checkOptionNames } from '../validate.js';
import { declareFamilies, writeQueueMetrics } from './exposition.js';
import { PROMETHEUS_CONTENT_TYPE, PrometheusText } from './prometheus.js';

/** Options of createMetricsHandler. */
export interface MetricsHandlerOptions {
  /** How to reach Redis (as a Queue's `connection`); a client passed in is shared, not closed. */
  connection: ConnectionInput;
  /** The key prefix of the queues. @default 'sluice' */
  prefix?: string;
  /** The queues to expose; left out: every queue in the prefix's registry, read at each scrape. */
  queues?: string[];
}

/** A Node request handler serving the metrics, with close() to release its connection. */
export interface MetricsHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Closes the handler's Queues and its Redis connection (a client passed in stays open). */
  close(): Promise<void>;
}

/**
 * Makes an HTTP handler that answers GET (and HEAD) with the Prometheus text of the queues:
 * 200 with the metrics, 405 for other methods, 503 when Redis cannot be read.
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * const handler = createMetricsHandler({ connection: 'redis://127.0.0.1:6379' });
 * createServer(handler).listen(9464); // scrape http://host:9464/metrics
 * ```
 */
export function createMetricsHandler(opts: MetricsHandlerOptions): MetricsHandler {
  checkOptionNames('createMetricsHandler options', opts, ['connection', 'prefix', 'queues'] as const);
  const prefix = opts.prefix ?? 'sluice';
  validatePrefix(prefix);
  const fixed = opts.queues?.map((q) => validateQueueName(q));
  const { client, owned } = createClient(opts.connection, 'producer');
  if (owned) client.on('error', () => undefined); // a failed scrape answers 503
  const queues = new Map<string, Queue>();
  const queueOf = (name: string): Queue => {
    let q = queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: client, prefix });
      queues.set(name, q);
    }
    return q;
  };
  const render = async (): Promise<string> => {
    const names = fixed ?? (await listQueues(client, prefix));
    const text = new PrometheusText();
    declareFamilies(text);
    for (const name of names) await writeQueueMetrics(text, name, queueOf(name));
    // queues no longer listed (obliterated): their Queue objects go
    for (const [name, q] of queues) if (!names.includes(name)) void q.close().finally(() => queues.delete(name));
    return text.toString();
  };
  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    render().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics unavailable: ${(err as Error).message}\n`);
      },
    );
  }) as MetricsHandler;
  handler.close = async () => {
    await Promise.allSettled([...queues.values()].map((q) => q.close()));
    queues.clear();
    await closeClient(client, owned);
  };
  return handler;
}
