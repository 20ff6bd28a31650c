// What the queue's Redis says of a worker process's wake read: its blocking connection (named
// `sluice:blocking:<host>:<pid>:<random>`, src/worker/worker.ts), read from CLIENT LIST on the
// runner's own connection, and whether it is blocked in BZPOPMIN right now.
import { Redis } from 'ioredis';
import { sleep } from './common.js';

export interface WakeRead {
  /** The connection's CLIENT ID: a new one after a reconnect (a watchdog reset). */
  id: string;
  /** Blocked in Redis now (flag b): the read is in line for a wake. */
  blocked: boolean;
}

export class ClientList {
  private readonly client: Redis;

  constructor(url: string) {
    this.client = new Redis(url, { maxRetriesPerRequest: 3, connectionName: 'chaos:runner' });
    this.client.on('error', () => undefined);
  }

  /** The wake-read connection of worker process `pid`, if it has one now. */
  async wakeRead(pid: number): Promise<WakeRead | undefined> {
    const list = String(await this.client.call('CLIENT', 'LIST'));
    for (const line of list.split('\n')) {
      const fields = new Map(line.split(' ').map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as const));
      const name = fields.get('name') ?? '';
      if (!name.startsWith('sluice:blocking:') || !name.includes(`:${pid}:`)) continue;
      return { id: fields.get('id') ?? '', blocked: (fields.get('flags') ?? '').includes('b') && fields.get('cmd') === 'bzpopmin' };
    }
    return undefined;
  }

  /** Polls until the wake read of `pid` is blocked; undefined when it is not within `timeoutMs`. */
  async untilBlocked(pid: number, timeoutMs: number): Promise<WakeRead | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const read = await this.wakeRead(pid).catch(() => undefined);
      if (read?.blocked) return read;
      await sleep(20);
    }
    return undefined;
  }

  close(): void {
    this.client.disconnect();
  }
}
