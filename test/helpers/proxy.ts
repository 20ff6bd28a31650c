// A TCP proxy in front of Redis that can freeze its open connections without closing them:
// the half-open socket after a failover or a network partition, which a worker must detect.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FreezableProxy {
  url: string;
  /** Stop forwarding on every connection open now (new connections still work). */
  freeze(): void;
  close(): Promise<void>;
}

export async function startProxy(targetPort: number): Promise<FreezableProxy> {
  const pairs: { client: Socket; upstream: Socket; frozen: boolean }[] = [];
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, frozen: false };
    pairs.push(pair);
    client.on('data', (d) => { if (!pair.frozen) upstream.write(d); });
    upstream.on('data', (d) => { if (!pair.frozen) client.write(d); });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => { for (const p of pairs) p.frozen = true; },
    close: async () => {
      for (const p of pairs) { p.client.destroy(); p.upstream.destroy(); }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
