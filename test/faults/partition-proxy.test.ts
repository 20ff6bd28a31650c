// The test proxy's partitions (test/helpers/proxy.ts), which the chaos partition scenario relies
// on: a black hole holds a command (Redis does not see it) and delivers it at the heal, also for a
// client that gave up meanwhile; a refusing partition closes connections and refuses new ones.
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxy, type FreezableProxy } from '../helpers/proxy.js';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('the test proxy partitions and heals', () => {
  const t = useRedis();
  const opened: { disconnect(): void }[] = [];
  let proxy: FreezableProxy | undefined;
  afterEach(async () => {
    for (const c of opened.splice(0)) c.disconnect();
    await proxy?.close();
  });
  const client = (url: string, opts: object = {}) => {
    const c = new Redis(url, { lazyConnect: true, ...opts });
    c.on('error', () => undefined);
    opened.push(c);
    return c;
  };

  it('a black hole holds commands both ways and delivers them at the heal', async () => {
    proxy = await startProxy(t.redis.port);
    const direct = client(t.url);
    const through = client(proxy.url);
    const key = `${t.newPrefix()}:k`;
    await through.ping();
    proxy.blackhole();
    const set = through.set(key, 'v');
    // a connection made during the partition is held too
    const late = client(proxy.url, { enableReadyCheck: false });
    void late.connect().catch(() => undefined);
    const lateSet = late.set(`${key}2`, 'w');
    await direct.ping(); // Redis answers others
    expect(await direct.exists(key, `${key}2`)).toBe(0);
    proxy.heal();
    expect(await set).toBe('OK');
    expect(await lateSet).toBe('OK');
    expect(await direct.get(key)).toBe('v');
  });

  it("a client that closed during a black hole: its command still reaches Redis at the heal, as TCP's retransmits would", async () => {
    proxy = await startProxy(t.redis.port);
    const direct = client(t.url);
    const through = client(proxy.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    const key = `${t.newPrefix()}:gone`;
    await through.ping();
    proxy.blackhole();
    const set = through.set(key, 'v').catch((err: Error) => err);
    through.disconnect();
    expect(await set).toBeInstanceOf(Error);
    expect(await direct.exists(key)).toBe(0);
    proxy.heal();
    await waitFor(async () => (await direct.get(key)) === 'v', 5_000, 'the held command to run');
  });

  it('a refusing partition closes every connection and refuses new ones until the heal', async () => {
    proxy = await startProxy(t.redis.port);
    const open = client(proxy.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    await open.ping();
    const closed = new Promise((resolve) => open.once('close', resolve));
    proxy.refuse();
    await closed;
    const refused = client(proxy.url, { retryStrategy: () => null });
    await expect(refused.connect().then(() => refused.ping())).rejects.toThrow();
    proxy.heal();
    const after = client(proxy.url);
    expect(await after.ping()).toBe('PONG');
  });
});
