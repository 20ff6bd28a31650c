// Passwords never appear in what sluice reports: error messages, typed errors and their causes,
// worker 'error' events, and log entries (captured here at every level, errors serialised with
// their own properties and causes), for a wrong password, a URL with a password, and an
// unreachable Redis.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RedisCommandError, RedisUnavailableError } from '../../src/index.js';
import { freePort } from '../helpers/redis.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

/** Everything an error or log entry holds, own properties and causes included (non-enumerable ones too). */
function dump(value: unknown, seen = new Set<unknown>()): string {
  if (value === null || typeof value !== 'object') return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  return Object.getOwnPropertyNames(value)
    .map((key) => `${key}=${dump((value as Record<string, unknown>)[key], seen)}`)
    .join(' ');
}

function capturingLogger(lines: unknown[]) {
  const at = (level: string) => (context: unknown, message?: unknown) => lines.push({ level, context, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('credentials stay out of errors and logs', () => {
  const t = useRedis();
  const secret = () => `s3cret-${randomBytes(6).toString('hex')}`;

  it('a wrong password for an ACL user (URL with userinfo): typed errors and logs name no password', async () => {
    t.newPrefix();
    const right = secret();
    const wrong = secret();
    await t.admin.call('ACL', 'SETUSER', 'app', 'on', `>${right}`, '~*', '&*', '+@all');
    const lines: unknown[] = [];
    const logger = capturingLogger(lines);
    const url = `redis://app:${wrong}@127.0.0.1:${t.redis.port}`;
    const queue = t.queue('q', { connection: url, logger });
    const failure = await queue.add('x', 1).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure).toBeInstanceOf(RedisCommandError);
    expect(failure!.message).toMatch(/WRONGPASS/);
    const worker = t.worker('q', async () => 1, { connection: url, logger, allowErrors: true });
    const [workerError] = await waitForEvent<[Error]>(worker, 'error', 10_000);
    await waitFor(() => lines.length > 0, 5000, 'log lines');
    for (const text of [dump(failure), dump(workerError), dump(lines)]) {
      expect(text).toContain('WRONGPASS'); // the dump holds the failure...
      expect(text).not.toContain(wrong); // ...and not the password
      expect(text).not.toContain(right);
    }
    // the right password works, and logs nothing secret either
    const ok = t.queue('q', { connection: `redis://app:${right}@127.0.0.1:${t.redis.port}`, logger });
    expect((await ok.add('x', 1)).id).toBeTruthy();
    expect(dump(lines)).not.toContain(right);
  });

  it('requirepass: a wrong default-user password, and an unreachable Redis with a password in its URL', async () => {
    t.newPrefix();
    const wrong = secret();
    const lines: unknown[] = [];
    const logger = capturingLogger(lines);
    const right = secret();
    await t.admin.config('SET', 'requirepass', right);
    try {
      const queue = t.queue('q', { connection: `redis://:${wrong}@127.0.0.1:${t.redis.port}`, logger });
      const refused = await queue.add('x', 1).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(refused).toBeInstanceOf(RedisCommandError);
      // nobody listens on this port: RedisUnavailableError names host:port, not the URL's userinfo
      const port = await freePort();
      const down = t.queue('q', { connection: { url: `redis://app:${wrong}@127.0.0.1:${port}`, maxRetriesPerRequest: 1 }, logger });
      const unavailable = await down.add('x', 1).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(unavailable).toBeInstanceOf(RedisUnavailableError);
      expect(unavailable!.message).toContain(`Redis at 127.0.0.1:${port} is unreachable`);
      for (const text of [dump(refused), dump(unavailable), dump(lines)]) expect(text).not.toContain(wrong);
      expect(dump(lines)).not.toContain(right);
    } finally {
      await t.admin.config('SET', 'requirepass', '');
    }
  });
});
