// How a worker's connection is described to the lease guard's thread (src/redis/cloneable-connection.ts):
// as plain data, functions left out, for every form a connection takes. No Redis needed: the
// clients are made with lazyConnect and never connect.
import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { cloneableConnection } from '../../src/redis/cloneable-connection.js';

const clients: { disconnect(): void }[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

describe('cloneableConnection', () => {
  it('keeps a URL, seeds and plain options as they are, without their functions', () => {
    expect(cloneableConnection('redis://127.0.0.1:6390/2')).toBe('redis://127.0.0.1:6390/2');
    expect(cloneableConnection(['redis://10.0.0.1:6379'])).toEqual(['redis://10.0.0.1:6379']);
    const ca = Buffer.from('a certificate');
    const copied = cloneableConnection({
      host: 'h',
      port: 6390,
      password: 'pw',
      retryStrategy: () => 10,
      tls: { ca, checkServerIdentity: () => undefined },
    });
    expect(copied).toEqual({ host: 'h', port: 6390, password: 'pw', tls: { ca: new Uint8Array(ca) } });
  });

  it('describes a client by its options: host, credentials, TLS and sentinels survive; functions do not', () => {
    const client = new Redis({ host: 'h', port: 6391, username: 'u', password: 'pw', db: 3, lazyConnect: true, retryStrategy: () => 5 });
    clients.push(client);
    const copied = cloneableConnection(client) as Record<string, unknown>;
    expect(copied).toMatchObject({ host: 'h', port: 6391, username: 'u', password: 'pw', db: 3 });
    expect(Object.values(copied).some((v) => typeof v === 'function')).toBe(false);
    const viaSentinel = new Redis({ sentinels: [{ host: 's', port: 26379 }], name: 'mymaster', lazyConnect: true });
    clients.push(viaSentinel);
    expect(cloneableConnection(viaSentinel)).toMatchObject({ sentinels: [{ host: 's', port: 26379 }], name: 'mymaster' });
  });

  it('describes a Cluster client by its seeds and options', () => {
    const cluster = new Cluster([{ host: '10.0.0.1', port: 7000 }], { lazyConnect: true, redisOptions: { password: 'pw' } });
    clients.push(cluster);
    expect(cloneableConnection(cluster)).toMatchObject({ cluster: [{ host: '10.0.0.1', port: 7000 }], redisOptions: { password: 'pw' } });
  });
});
