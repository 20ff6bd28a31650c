// What a command works with: the global options, output (text or JSON), the Redis client (made
// on first use, failing fast), queues opened only once they are known to exist, the consumer
// group checked, confirmation for destructive commands, and closing all of it at the end so
// that nothing keeps the process alive.
import { createInterface } from 'node:readline/promises';
import type { Redis } from 'ioredis';
import type { Queue } from '../queue/queue.js';
import { validateQueueName } from '../validate.js';
import { connectRedis, openQueue, queueExists } from './connect.js';
import { EXIT, NotFoundError, UsageError } from './exit-codes.js';

/** Where a command writes, and what it reads a confirmation from. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
}

export class CommandContext {
  private client: Redis | undefined;
  private readonly queues: Queue[] = [];
  /** What the process exits with when the command returns (doctor sets 1 for an error finding). */
  exitCode: number = EXIT.ok;

  constructor(
    readonly command: string,
    readonly url: string,
    readonly prefix: string,
    readonly group: string,
    readonly json: boolean,
    readonly yes: boolean,
    readonly io: Io,
    /** --timeout: ms to connect and for each reply. */
    readonly timeoutMs: number,
    /** --cluster: the URL is a seed node of a Redis Cluster. */
    readonly cluster = false,
  ) {}

  /** Writes text to stdout (a newline is added). */
  print(text = ''): void {
    this.io.stdout.write(`${text}\n`);
  }

  /** Writes a value as JSON to stdout. */
  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** The connected client (UnreachableError, exit 4, when Redis cannot be reached). */
  async redis(): Promise<Redis> {
    this.client ??= await connectRedis(this.url, this.timeoutMs, this.cluster);
    return this.client;
  }

  /**
   * Queue `name`, once it is known to exist (NotFoundError, exit 3, otherwise), and the group
   * of --group with it (NotFoundError for a group the queue does not have).
   */
  async queue(name: string): Promise<Queue> {
    validateQueueName(name);
    const client = await this.redis();
    if (!(await queueExists(client, this.prefix, name))) {
      throw new NotFoundError(
        `unknown queue "${name}" under prefix "${this.prefix}" (sluice queues lists them; --scan finds unlisted ones)`,
      );
    }
    const queue = openQueue(client, this.prefix, name);
    this.queues.push(queue);
    if (this.group !== 'default') {
      const groups = await queue.getGroups();
      if (!groups.some((g) => g.name === this.group)) {
        const names = groups.map((g) => g.name).join(', ') || 'none';
        throw new NotFoundError(`queue "${name}" has no group "${this.group}" (its groups: ${names})`);
      }
    }
    return queue;
  }

  /** The --group option as the queue methods take it. */
  get groupOption(): { group: string } {
    return { group: this.group };
  }

  /**
   * Goes on when --yes was given or the user at a terminal says yes; otherwise refuses
   * (UsageError, exit 2): without a terminal there is nobody to ask.
   */
  async confirm(action: string): Promise<void> {
    if (this.yes) return;
    if (!this.io.stdin.isTTY) {
      throw new UsageError(`refusing to ${action} without --yes (stdin is not a terminal, so nobody can confirm)`, this.command);
    }
    const rl = createInterface({ input: this.io.stdin, output: this.io.stderr });
    try {
      const answer = await rl.question(`${action}? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) throw new UsageError(`not confirmed: nothing was changed`, this.command);
    } finally {
      rl.close();
    }
  }

  /** Closes every queue and the client. */
  async close(): Promise<void> {
    await Promise.allSettled(this.queues.splice(0).map((q) => q.close()));
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }
  }
}
