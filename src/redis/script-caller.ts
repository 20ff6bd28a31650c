// Sending a script call on one client, and settling it when the connection drops. One caller per
// client, however many queues or partitions use it (a partitioned worker's loops share one
// connection), so the client gets one 'close' listener. The typed wrappers are scripts.ts's.
import type { Redis } from 'ioredis';
import { CallInterruptedError } from '../errors.js';
import { markClusterGiveUp } from './redis-errors.js';
import { commandName, orderKeys, type ScriptName } from './script-registry.js';

export type Arg = string | number;

const callers = new WeakMap<Redis, ScriptCaller>();

/** The caller of `client`, made on first use. */
export function scriptCaller(client: Redis): ScriptCaller {
  let caller = callers.get(client);
  if (!caller) {
    caller = new ScriptCaller(client);
    callers.set(client, caller);
  }
  return caller;
}

export class ScriptCaller {
  /** Calls waiting for a reply, on a client that does not resend them (see below). */
  private readonly pending = new Set<(err: Error) => void>();
  private readonly interruptible: boolean;

  constructor(private readonly client: Redis) {
    // A client made with autoResendUnfulfilledCommands: false (the worker's, see connection.ts)
    // drops the commands a lost connection left unanswered, and their promises never settle:
    // such calls reject here instead, with CallInterruptedError (they may or may not have run).
    this.interruptible = client.options.autoResendUnfulfilledCommands === false;
    if (this.interruptible) {
      client.on('close', () => {
        const waiting = [...this.pending];
        this.pending.clear();
        for (const reject of waiting) reject(new CallInterruptedError());
      });
    }
  }

  call(op: ScriptName, keys: Record<string, string>, args: Arg[]): Promise<unknown> {
    const command = (this.client as unknown as Record<string, (...a: Arg[]) => Promise<unknown>>)[commandName(op)];
    if (!command) throw new Error(`script ${op} is not registered on this client`);
    const call = command.apply(this.client, [...orderKeys(op, keys), ...args]).catch((err: unknown) => {
      throw markClusterGiveUp(err, this.client);
    });
    if (!this.interruptible) return call;
    return new Promise((resolve, reject) => {
      const interrupt = (err: Error) => reject(err);
      this.pending.add(interrupt);
      call.then(
        (value) => {
          this.pending.delete(interrupt);
          resolve(value);
        },
        (err: unknown) => {
          this.pending.delete(interrupt);
          reject(err);
        },
      );
    });
  }
}
