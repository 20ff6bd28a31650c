// Redis Cluster plumbing: recognising an ioredis Cluster, building one from cluster options or
// a list of redis:// seeds, the hash slot of a key, and the node connection that serves a slot.
// The last is for commands addressed to one connection (CLIENT ID, CLIENT UNBLOCK): a Cluster
// would send them to a random node. Which roles get which options is decided in connection.ts.
import { Cluster, type ClusterNode, type ClusterOptions, type Redis, type RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../errors.js';

/** Cluster options with the seed nodes under `cluster`: `{ cluster: ['redis://10.0.0.1:6379'], redisOptions: { password } }`. */
export type ClusterConnectionOptions = ClusterOptions & { cluster: ClusterNode[] };

/** An ioredis Cluster client (ioredis marks it with isCluster). */
export function isClusterClient(value: unknown): value is Cluster {
  return typeof value === 'object' && value !== null && (value as { isCluster?: unknown }).isCluster === true;
}

/**
 * A client sluice made from a Cluster is typed as a Redis (connection.ts): this gives it back as
 * the Cluster it is, or undefined for a standalone client.
 */
export function asCluster(client: Redis): Cluster | undefined {
  const value: unknown = client;
  return isClusterClient(value) ? value : undefined;
}

/** `{ cluster: [...] }` (or an array of seeds): the user asks for a Cluster client. */
export function isClusterOptions(value: unknown): value is ClusterConnectionOptions | string[] {
  if (Array.isArray(value)) return true;
  return typeof value === 'object' && value !== null && Array.isArray((value as { cluster?: unknown }).cluster);
}

/**
 * A new Cluster from seeds or `{ cluster, ...options }`, with `role` merged over the user's
 * options (`redisOptions` merged field by field). Credentials and TLS of the first redis:// seed
 * also apply to the nodes the cluster discovers (ioredis would use them for that seed only).
 */
export function newCluster(input: ClusterConnectionOptions | string[], role: ClusterOptions, defaults: ClusterOptions): Cluster {
  const { cluster: seeds, ...options } = Array.isArray(input) ? { cluster: input } : input;
  if (seeds.length === 0) throw new InvalidOptionError('a Redis Cluster connection needs at least one seed node');
  const fromUrl: RedisOptions = {};
  const first = seeds[0];
  if (typeof first === 'string' && /^rediss?:\/\//.test(first)) {
    const url = new URL(first);
    if (url.username) fromUrl.username = decodeURIComponent(url.username);
    if (url.password) fromUrl.password = decodeURIComponent(url.password);
    if (url.protocol === 'rediss:') fromUrl.tls = {};
  }
  const redisOptions = { ...defaults.redisOptions, ...fromUrl, ...options.redisOptions, ...role.redisOptions };
  return new Cluster(seeds, { ...defaults, ...options, ...role, redisOptions });
}

// CRC16/XMODEM, the checksum Redis Cluster hashes keys with (cluster.c keyHashSlot)
const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** The hash slot of a key: the CRC16 of its hash tag (`{…}`, when not empty) or of the whole key, mod 16384. */
export function keySlot(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b); // {
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc % 16384;
}

/** host:port of a node connection, as ioredis keys its slot map. */
export function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/**
 * The cluster's connection to the master that serves `key`'s slot, as ioredis's slot map says
 * now (the map follows MOVED replies), or undefined before the map is loaded.
 */
export function slotNode(cluster: Cluster, key: string): Redis | undefined {
  const owner = cluster.slots[keySlot(key)]?.[0];
  if (owner === undefined) return undefined;
  return cluster.nodes('master').find((node) => nodeKey(node) === owner);
}
