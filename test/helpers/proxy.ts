// A TCP proxy in front of Redis that can freeze its open connections without closing them:
// the half-open socket after a failover or a network partition, which a worker must detect.
// The chaos runner also partitions its clients from Redis with it, then heals the partition.
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
  /**
   * Calls `act` once, just before forwarding the next bytes a client sends that contain
   * `marker`: a fault timed to a command (the command reaches Redis after it).
   */
  beforeCommand(marker: string, act: () => void): void;
  /** Close every connection open now (the clients reconnect through the proxy). */
  cut(): void;
  /**
   * New connections go to the Redis on `port` from now on: a failover behind one address, as a
   * managed Redis's endpoint or a virtual IP moves to the promoted replica.
   */
  retarget(port: number): void;
  /**
   * A partition that black-holes: every connection, open or new, holds its bytes both ways
   * (nothing reaches the other side, nothing is answered) until heal().
   */
  blackhole(): void;
  /** A partition that resets: every open connection is closed, and new ones at once, until heal(). */
  refuse(): void;
  /**
   * Ends blackhole() or refuse(). Held bytes are delivered, as TCP retransmits them once the
   * network is back; a client that closed meanwhile has its bytes delivered, then its end.
   */
  heal(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
  dropping: boolean;
  holding: boolean;
  held: Buffer[];
  /** Black-holed: bytes wait in toRedis and toClient until heal(). */
  parked: boolean;
  toRedis: Buffer[];
  toClient: Buffer[];
  clientGone: boolean;
}

export async function startProxy(firstTarget: number): Promise<FreezableProxy> {
  let targetPort = firstTarget;
  const pairs: Pair[] = [];
  let holdMarker: string | undefined;
  let before: { marker: string; act: () => void } | undefined;
  let partition: 'blackhole' | 'refuse' | undefined;
  const server: Server = createServer((client) => {
    if (partition === 'refuse') {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const parked = partition === 'blackhole';
    const pair: Pair = {
      client,
      upstream,
      frozen: false,
      dropping: false,
      holding: false,
      held: [],
      parked,
      toRedis: [],
      toClient: [],
      clientGone: false,
    };
    pairs.push(pair);
    client.on('data', (d: Buffer) => {
      if (pair.frozen) return;
      if (pair.parked) {
        pair.toRedis.push(d);
        return;
      }
      if (holdMarker && d.includes(holdMarker)) {
        holdMarker = undefined;
        pair.holding = true;
      }
      if (before && d.includes(before.marker)) {
        const { act } = before;
        before = undefined;
        act();
      }
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (pair.frozen || pair.dropping) return;
      if (pair.parked) pair.toClient.push(d);
      else if (pair.holding) pair.held.push(d);
      else client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    // a client's close does not cross a black hole: Redis sees it (after its bytes) at heal()
    const clientEnd = () => {
      if (pair.parked) pair.clientGone = true;
      else end();
    };
    client.on('error', clientEnd).on('close', clientEnd);
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
    beforeCommand: (marker, act) => {
      before = { marker, act };
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
    retarget: (port) => {
      targetPort = port;
    },
    blackhole: () => {
      partition = 'blackhole';
      for (const p of pairs) p.parked = true;
    },
    refuse: () => {
      partition = 'refuse';
      for (const p of pairs.splice(0)) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    heal: () => {
      partition = undefined;
      for (const p of pairs.splice(0)) {
        p.parked = false;
        const up = Buffer.concat(p.toRedis.splice(0));
        const down = Buffer.concat(p.toClient.splice(0));
        if (p.clientGone) {
          p.upstream.end(up);
          continue;
        }
        pairs.push(p);
        if (up.length > 0) p.upstream.write(up);
        if (down.length > 0) p.client.write(down);
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
