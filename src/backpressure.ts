// Backpressure: a queue created with maxLength refuses jobs beyond it (QueueFullError). A
// producer that passes { wait: ms } waits for room instead: it blocks in Redis on the room
// stream, which the lease script writes whenever workers take jobs of such a queue — no
// polling, and it wakes as soon as there may be room.
import type { Redis } from 'ioredis';
import { createClient, type ConnectionInput } from './connection.js';
import type { QueueKeys } from './keys.js';

export class RoomWaiter {
  private client: Redis | undefined;

  constructor(
    private readonly connection: ConnectionInput,
    private readonly keys: QueueKeys,
  ) {}

  /** Blocks until the room stream gets an entry after `fromId`, or `ms` pass. */
  async wait(fromId: string, ms: number): Promise<void> {
    // a connection of its own: a blocked read holds it
    this.client ??= createClient(this.connection, 'blocking', `sluice:room:${this.keys.base}`).client;
    await this.client.call('XREAD', 'COUNT', '1', 'BLOCK', String(Math.max(1, Math.ceil(ms))), 'STREAMS', `${this.keys.base}room`, fromId);
  }

  /** Ends waits in progress (their adds then fail as full) and the connection. */
  close(): void {
    this.client?.disconnect(false);
  }
}
