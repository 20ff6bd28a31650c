// Backpressure: a queue created with maxLength refuses jobs beyond it (QueueFullError). A
// producer that passes { wait: ms } waits for room instead: one reader per Queue blocks in
// Redis on the room stream — written whenever jobs leave the waiting line (leases, drain,
// remove) — and wakes every waiting add, each of which tries again; no polling. Each wait has
// its own deadline; close() ends them all.
import type { Redis } from 'ioredis';
import { guardBlockingRead } from '../redis/blocking-read.js';
import { createClient, cutConnection, type ConnectionInput } from '../redis/connection.js';
import { ClosedError } from '../errors.js';
import type { QueueKeys } from '../redis/keys.js';
import type { Logger } from '../logger.js';
import { compareStreamIds, xreadEntries } from '../redis/streams.js';

const BLOCK_MS = 1000;
/** A refused add waits at least this long before it tries again (a wake may be for another group's room). */
const MIN_RETRY_MS = 10;

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class RoomWaiter {
  private client: Redis | undefined;
  private readonly waiters = new Set<Waiter>();
  /** The last room entry seen by the reader; a wait from an older id returns at once. */
  private cursor: string | undefined;
  private reading = false;
  private closed = false;

  constructor(
    private readonly connection: ConnectionInput,
    private readonly keys: QueueKeys,
    private readonly logger: Logger,
  ) {}

  /** Resolves when there may be room (the room stream moved past `fromId`), or after `ms`. */
  wait(fromId: string, ms: number): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('queue'));
    if (this.cursor !== undefined && compareStreamIds(this.cursor, fromId) > 0) return sleep(MIN_RETRY_MS);
    this.cursor ??= fromId;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve();
        }, ms),
      };
      this.waiters.add(waiter);
      if (!this.reading) void this.read();
    }).then(() => sleep(MIN_RETRY_MS));
  }

  private async read(): Promise<void> {
    this.reading = true;
    // a connection of its own: a blocked read holds it
    this.client ??= createClient(this.connection, 'blocking', `sluice:room:${this.keys.base}`).client;
    this.client.on('error', (err) => this.logger.debug({ err }, 'redis connection error (room waiter)'));
    try {
      while (this.waiters.size > 0 && !this.closed) {
        const read = this.client.call('XREAD', 'COUNT', '1', 'BLOCK', String(BLOCK_MS), 'STREAMS', this.keys.room, this.cursor!);
        let failed = false;
        const outcome = await guardBlockingRead(
          this.client,
          read.catch(() => {
            failed = true;
            return null;
          }),
          BLOCK_MS + 5000,
        );
        if (failed) await sleep(100); // Redis refused or is away: no hot loop; the deadlines still hold
        if (outcome.kind !== 'answer') continue;
        const entries = xreadEntries(outcome.value, this.keys.room);
        if (entries.length === 0) continue;
        this.cursor = entries[entries.length - 1]![0];
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.resolve();
        }
        this.waiters.clear();
      }
    } finally {
      this.reading = false;
    }
  }

  /** Ends every wait in progress with ClosedError, and the connection. */
  close(): void {
    this.closed = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new ClosedError('queue'));
    }
    this.waiters.clear();
    if (this.client) cutConnection(this.client);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
