// The lease guard's thread (lease-guard.ts): it keeps, per LeaseKeeper, the jobs the keeper
// last said it holds, and renews them only when the keeper has gone silent past its renewal
// round (its event loop is blocked), for at most maxBlockedMs of silence. It answers nothing:
// a lease it finds lost is dropped here, and the keeper finds out on its own next round.
// It reads the jobs leased since the last round from the shared ring only then: a healthy
// worker costs it nothing per job. Nor does it load its Redis client (ioredis, about 150 ms of
// CPU and several MB in a thread) before a loop is first found silent past its renewal period,
// unless the lease is too short to leave time for that (LAZY_LEASE_MS).
import { parentPort } from 'node:worker_threads';
import type { Redis } from 'ioredis';
import type { ConnectionInput } from '../redis/connection.js';
import type { ScriptName } from '../redis/script-registry.js';
import { decodeRenewal } from '../redis/script-results.js';
import type { GuardMessage, GuardTarget } from './lease-guard.js';
import { renewalBatches } from './lease-keeper.js';
import { RingReader } from './lease-ring.js';

/** How often the thread looks for a silent keeper (ms). */
const CHECK_EVERY_MS = 100;
/** The script it calls: the keeper's renewal (lua/extend.lua), sent as EVALSHA like every script call. */
const EXTEND: ScriptName = 'extend';
/**
 * Leases at least this long (ms) get their client only once a round is overdue: the guard
 * renews at 1.5 periods of silence and a lease runs out at 3, so half a period (here 1 s or
 * more) is left for loading and connecting. A shorter lease connects at once.
 */
const LAZY_LEASE_MS = 6000;

interface Keeper extends GuardTarget {
  k: number;
  connection: ConnectionInput;
  /** The connection's description as text: the key of its entry in `clients`. */
  connectionKey: string;
  /** Its Redis client, once connected (shared with other keepers of the same connection). */
  client?: Redis;
  connecting: boolean;
  held: Map<string, { token: string; leaseMs: number }>;
  /** The worker's lease reply jobs and heartbeat, in shared memory (lease-ring.ts). */
  ring: RingReader;
  /** The worker's lease length, to which the jobs of its replies are renewed. */
  leaseMs: number;
  /** The keeper's renewal period (ms). */
  everyMs: number;
  renewedAt: number;
  renewing: boolean;
}

const keepers = new Map<number, Keeper>();
/** One connection per distinct connection description, shared by the keepers that use it. */
const clients = new Map<string, { client: Redis; users: number }>();
let timer: NodeJS.Timeout | undefined;

/** The client modules, loaded on first need. */
let redisModules: Promise<[typeof import('../redis/connection.js'), typeof import('../redis/script-caller.js')]> | undefined;

/** Gives the keeper its client (loading ioredis the first time); a keeper closed meanwhile gets none. */
async function connect(keeper: Keeper): Promise<void> {
  if (keeper.client || keeper.connecting) return;
  keeper.connecting = true;
  let createClient: typeof import('../redis/connection.js')['createClient'];
  try {
    redisModules ??= Promise.all([import('../redis/connection.js'), import('../redis/script-caller.js')]);
    [{ createClient }] = await redisModules;
  } catch {
    redisModules = undefined; // the next check tries again
    return;
  } finally {
    keeper.connecting = false;
  }
  if (keepers.get(keeper.k) !== keeper) return;
  const key = keeper.connectionKey;
  let entry = clients.get(key);
  if (!entry) {
    const name = `sluice:lease-guard:${process.pid}`;
    entry = { client: createClient(revive(keeper.connection) as ConnectionInput, 'worker', name).client, users: 0 };
    entry.client.on('error', () => undefined); // it reconnects by itself; the keeper reports Redis trouble
    clients.set(key, entry);
  }
  entry.users++;
  keeper.client = entry.client;
}

/** Buffers (a TLS certificate) arrive as plain Uint8Arrays: Buffers again, as ioredis and tls expect. */
function revive(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
}

function disconnect(keeper: Keeper): void {
  if (!keeper.client || !redisModules) return;
  const key = keeper.connectionKey;
  const entry = clients.get(key);
  if (!entry || --entry.users > 0) return;
  clients.delete(key);
  void redisModules.then(([{ closeClient }]) => closeClient(entry.client, true));
}

function onMessage(m: GuardMessage): void {
  const now = Date.now();
  if (m.t === 'open') {
    const { records, active, wake, maxBlockedMs, leaseMs } = m;
    const keeper: Keeper = {
      k: m.k,
      records,
      active,
      wake,
      maxBlockedMs,
      connection: m.connection,
      connectionKey: JSON.stringify(m.connection),
      connecting: false,
      held: new Map(),
      ring: new RingReader(m.ring),
      leaseMs,
      everyMs: Infinity,
      renewedAt: now,
      renewing: false,
    };
    keepers.set(m.k, keeper);
    if (leaseMs < LAZY_LEASE_MS) void connect(keeper);
    timer ??= setInterval(check, CHECK_EVERY_MS);
    return;
  }
  const keeper = keepers.get(m.k);
  if (!keeper) return;
  if (m.t === 'round') {
    // the round's list covers what the ring holds before `from`
    keeper.ring.skipTo(m.from);
    keeper.everyMs = m.everyMs;
    keeper.held = new Map(m.held.map(([id, token, leaseMs]) => [id, { token, leaseMs }]));
  } else {
    keepers.delete(m.k);
    disconnect(keeper);
    if (keepers.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }
}

/** The jobs of the lease replies written to the keeper's ring since the last look. */
function takeLeased(keeper: Keeper): void {
  for (const [id, token] of keeper.ring.take()) keeper.held.set(id, { token, leaseMs: keeper.leaseMs });
}

/** Renews the jobs of every keeper whose loop is overdue for a round, and silent for less than maxBlockedMs. */
function check(): void {
  const now = Date.now();
  for (const keeper of keepers.values()) {
    keeper.everyMs = Math.min(keeper.everyMs, keeper.ring.everyMs());
    if (keeper.renewing || keeper.everyMs === Infinity) continue;
    // the loop stamps the heartbeat with each lease reply and each renewal round
    const silentMs = now - keeper.ring.lastBeat();
    // a round is overdue: get the client ready
    if (silentMs > keeper.everyMs && !keeper.client) void connect(keeper);
    // a round is late by more than half a period: the keeper's loop is blocked
    if (silentMs < keeper.everyMs * 1.5 || silentMs > keeper.maxBlockedMs || !keeper.client) continue;
    if (now - keeper.renewedAt < keeper.everyMs) continue;
    takeLeased(keeper);
    if (keeper.held.size === 0) continue;
    keeper.renewedAt = now;
    keeper.renewing = true;
    void renew(keeper).finally(() => {
      keeper.renewing = false;
    });
  }
}

async function renew(keeper: Keeper): Promise<void> {
  const [, { scriptCaller }] = await redisModules!;
  try {
    for (const [ms, pairs] of renewalBatches(keeper.held)) {
      const args: (string | number)[] = [keeper.records, ms];
      for (const [id, token] of pairs) args.push(id, token);
      const reply = (await scriptCaller(keeper.client!).call(EXTEND, { active: keeper.active, wake: keeper.wake }, args)) as unknown[];
      for (const id of decodeRenewal(reply.map(String)).lost) keeper.held.delete(id);
    }
  } catch {
    // Redis is away: the next check tries again
  }
}

parentPort?.on('message', onMessage);
