// What the Cluster and Sentinel harnesses share to watch the servers they start: a one-off
// command on a fresh connection, and a readiness probe (child processes have no event to wait on).
import { Redis } from 'ioredis';

/** A fresh connection's answer to `command`, or undefined while the server cannot answer. */
export async function ask(port: number, ...command: string[]): Promise<unknown> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.call(command[0]!, ...command.slice(1));
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** ask(), as text. */
export async function askText(port: number, ...command: string[]): Promise<string | undefined> {
  const reply = await ask(port, ...command);
  return reply === undefined ? undefined : String(reply);
}

/** Checks every 50 ms until `check` holds; throws after `timeoutMs`, naming `what` it waited for. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
