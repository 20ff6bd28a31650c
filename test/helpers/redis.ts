// Test harness: every test file gets its own Redis. It starts a private redis-server on a
// free port with sluice/testing's starter (or a testcontainers Redis where Docker exists and
// redis-server does not), or uses REDIS_URL when the user set it. It never flushes a Redis it
// did not start: tests isolate themselves with a unique prefix instead.
import { NoRedisServerError, startRedis as startServer } from '../../src/testing/index.js';

export { freePort } from '../../src/testing/redis-server.js';
export { uniquePrefix } from '../../src/testing/index.js';

export interface TestRedis {
  url: string;
  port: number;
  /** True when this harness started the server (fault tests need that). */
  owned: boolean;
  /** Stops the server with a signal (default SIGTERM: a clean shutdown that keeps the AOF). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The redis-server of sluice/testing (src/testing/redis-server.ts), with the fault tests' names. */
export async function startRedis(opts: { persistent?: boolean } = {}): Promise<TestRedis> {
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ persistent: opts.persistent });
  } catch (err) {
    if (err instanceof NoRedisServerError) return startContainer();
    throw err;
  }
  const redis = server;
  return {
    url: redis.url,
    port: redis.port,
    owned: redis.owned,
    stop: (signal = 'SIGTERM') => (redis.owned ? redis.kill(signal) : Promise.reject(new Error('cannot stop a Redis given by REDIS_URL'))),
    start: () => (redis.owned ? redis.restart() : Promise.resolve()),
    close: () => redis.stop(),
  };
}

async function startContainer(): Promise<TestRedis> {
  // Only where Docker exists and redis-server does not: testcontainers is an optional path.
  const moduleName = 'testcontainers';
  const { GenericContainer } = (await import(moduleName)) as typeof import('testcontainers');
  const container = await new GenericContainer('redis:7').withExposedPorts(6379).start();
  const port = container.getMappedPort(6379);
  return {
    url: `redis://${container.getHost()}:${port}`,
    port,
    owned: true,
    stop: async () => {
      await container.stop();
    },
    start: async () => {
      throw new Error('restart is not supported on the container path');
    },
    close: async () => {
      await container.stop();
    },
  };
}
