// A TCP proxy in front of Redis that can freeze its open connections without closing them:
// the half-open socket after a failover or a network partition, which a worker must detect.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface FreezableProxy {
  url: string;
  /** Stop forwarding on every connection open now (new connections still work). */
  freeze(): void;
  /**
   * Redis still gets every command, but the replies on connections open now are dropped:
   * a reply lost after Redis applied the command.
   */
  dropReplies(): void;
  /**
   * From the next command whose bytes contain `marker` on, hold the replies of that
   * connection (Redis has applied the command) until release(): a reply that arrives late.
   */
  holdAfter(marker: string): void;
  release(): void;
  /** Close every connection open now (the clients reconnect through the proxy). */
  cut(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
  dropping: boolean;
  holding: boolean;
  held: Buffer[];
}

export async function startProxy(targetPort: number): Promise<FreezableProxy> {
  const pairs: Pair[] = [];
  let holdMarker: string | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: Pair = { client, upstream, frozen: false, dropping: false, holding: false, held: [] };
    pairs.push(pair);
    client.on('data', (d: Buffer) => {
      if (pair.frozen) return;
      if (holdMarker && d.includes(holdMarker)) {
        holdMarker = undefined;
        pair.holding = true;
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (pair.frozen || pair.dropping) return;
      if (pair.holding) pair.held.push(d);
      else client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => {
      for (const p of pairs) p.frozen = true;
    },
    dropReplies: () => {
      for (const p of pairs) p.dropping = true;
    },
    holdAfter: (marker) => {
      holdMarker = marker;
    },
    release: () => {
      for (const p of pairs) {
        p.holding = false;
        for (const d of p.held.splice(0)) p.client.write(d);
      }
    },
    cut: () => {
      for (const p of pairs.splice(0)) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    close: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
