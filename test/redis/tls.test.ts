// TLS: rediss:// URLs and ioredis `tls` options carry a Queue, a Worker and QueueEvents end to
// end against a private redis-server that speaks TLS with a CA made here; a client that does not
// trust that CA fails with a typed error that names the certificate problem, and never hangs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, RedisUnavailableError, Worker } from '../../src/index.js';
import { startRedis, type TestRedis, uniquePrefix } from '../../src/testing/index.js';
import { quietLogger } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

/** A CA and a server certificate for 127.0.0.1 signed by it (EC keys: milliseconds). */
function makeCertificates(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
  openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=sluice test CA', '-days', '2', '-out', 'ca.crt');
  openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key');
  openssl('req', '-new', '-key', 'server.key', '-subj', '/CN=127.0.0.1', '-out', 'server.csr');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'san.ext',
    '-out',
    'server.crt',
  );
  return { caFile: join(dir, 'ca.crt'), certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') };
}

describe('TLS', () => {
  let dir: string;
  let redis: TestRedis;
  let ca: string;
  const open: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(c: T): T => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
    const files = makeCertificates(dir);
    ca = readFileSync(files.caFile, 'utf8');
    redis = await startRedis({ url: null, tls: files });
  });
  afterAll(async () => {
    await Promise.allSettled(open.map((c) => c.close()));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs jobs over TLS: a rediss:// URL with tls options, ioredis tls options, QueueEvents, a delayed job', async () => {
    const prefix = uniquePrefix();
    const tlsUrl = redis.tlsUrl!;
    expect(tlsUrl).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    // the producer: host and port with ioredis `tls` options; the worker and events: the URL
    const queue = track(
      new Queue('tls', { connection: { host: '127.0.0.1', port: redis.tlsPort, tls: { ca } }, prefix, logger: quietLogger }),
    );
    const worker = new Worker('tls', async (job) => (job.data as number) * 2, {
      connection: { url: tlsUrl, tls: { ca } },
      prefix,
      logger: quietLogger,
    });
    track({ close: () => worker.close({ timeoutMs: 2000 }) });
    worker.on('error', (err) => expect.fail(`worker error over TLS: ${err.message}`));
    const events = track(new QueueEvents('tls', { connection: { url: tlsUrl, tls: { ca } }, prefix, logger: quietLogger }));
    await events.waitUntilReady();
    const completed = waitForEvent<[{ jobId: string; returnvalue: unknown }]>(events, 'completed');
    const job = await queue.add('double', 21);
    const [event] = await completed;
    expect(event.jobId).toBe(job.id);
    const results = new Map<string, unknown>();
    worker.on('completed', (done, result) => results.set(done.id, result));
    const delayed = await queue.add('later', 5, { delay: 200 });
    await waitFor(() => results.has(delayed.id), 10_000, 'the delayed job done over TLS');
    expect(results.get(delayed.id)).toBe(10);
    // the producer's connection really is TLS
    expect(queue.client.stream.constructor.name).toBe('TLSSocket');
  });

  it("the lease guard renews over TLS: a client passed in, its CA a Buffer, copied to the guard's thread", async () => {
    const prefix = uniquePrefix();
    const queue = track(new Queue('tls-guard', { connection: { url: redis.tlsUrl!, tls: { ca } }, prefix, logger: quietLogger }));
    const client = new Redis({ host: '127.0.0.1', port: redis.tlsPort, tls: { ca: Buffer.from(ca) }, lazyConnect: true });
    await client.connect(); // the read after the block must not wait for a connect (the worker's own renewal would land first)
    const active = queue.keys.group('default').active;
    const worker = new Worker(
      'tls-guard',
      async (job) => {
        // the event loop blocked for three leases: only the guard's thread can renew
        const end = Date.now() + 1500;
        while (Date.now() < end) {
          // busy
        }
        return Number(await client.zscore(active, job.id)) - Date.now();
      },
      { connection: client, prefix, leaseMs: 500, logger: quietLogger },
    );
    track({ close: () => worker.close({ timeoutMs: 2000 }).finally(() => client.disconnect()) });
    const done = waitForEvent<[unknown, number]>(worker, 'completed', 10_000);
    await queue.add('spin', {});
    const [, leftMs] = await done;
    // renewed while blocked: the lease still had time left when the loop came back
    expect(leftMs).toBeGreaterThan(0);
  });

  it('a client that does not trust the CA: a queue call rejects with RedisUnavailableError naming the certificate problem', async () => {
    const queue = track(
      new Queue('untrusted', { connection: { url: redis.tlsUrl!, maxRetriesPerRequest: 1 }, prefix: uniquePrefix(), logger: quietLogger }),
    );
    const failure = await queue.add('x', 1).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect(failure!.message).toMatch(/self-signed certificate in certificate chain/);
    expect(failure!.message).toContain(`127.0.0.1:${redis.tlsPort}`);
  });

  it('a worker that does not trust the CA says so in an error event (it does not wait in silence), and closes', async () => {
    const worker = new Worker('untrusted', async () => 1, { connection: redis.tlsUrl!, prefix: uniquePrefix(), logger: quietLogger });
    try {
      const [err] = await waitForEvent<[Error]>(worker, 'error', 5000);
      expect(err).toBeInstanceOf(RedisUnavailableError);
      expect(err.message).toMatch(/refused the TLS connection \(self-signed certificate in certificate chain; SELF_SIGNED_CERT_IN_CHAIN\)/);
    } finally {
      // bounded: close() with Redis out of reach waits its timeout plus the settling grace
      const started = Date.now();
      await worker.close({ timeoutMs: 0 });
      expect(Date.now() - started).toBeLessThan(10_000);
    }
  });
});
