// A private redis-server for a test suite: started on a free loopback port with a temporary
// directory, no snapshots and no eviction, and killed when the process exits. With REDIS_URL
// set, that server is used instead and never stopped or flushed: tests isolate themselves with
// a unique key prefix (see createTestQueue). The repo's own test harness (test/helpers/redis.ts)
// starts its servers here too; kill() and restart() exist for its fault tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StartRedisOptions {
  /**
   * A Redis to use instead of starting one (never stopped, never flushed). Default: the
   * REDIS_URL environment variable when it is set; `null` always starts a private server.
   */
  url?: string | null;
  /** The redis-server executable (default `redis-server`, looked up on PATH). */
  command?: string;
  /**
   * Keep an append-only file (fsync on every write), so that data survives `kill('SIGTERM')`
   * and `restart()`. Default false: the data lives in memory only.
   */
  persistent?: boolean;
  /** How long the server may take to answer PING (default 10,000 ms). */
  startTimeoutMs?: number;
  /**
   * Also listen for TLS on a second free port (`tlsUrl`), with this certificate, key and the CA
   * that signed it (PEM files). Clients are not asked for certificates. The plain port stays
   * open (the starter checks readiness on it). Ignored for a server given by URL.
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
  /**
   * Run the server in its own process group, so that a Ctrl-C in the terminal reaches only your
   * process, which can close its workers before it stops the server (default false).
   */
  ownProcessGroup?: boolean;
  /** More redis-server arguments, after sluice's own (e.g. `['--cluster-enabled', 'yes']`). */
  args?: string[];
}

/** A Redis for tests, from startRedis(). */
export interface TestRedis {
  /** redis://127.0.0.1:<port>, or the URL it was given. */
  readonly url: string;
  readonly port: number;
  /** rediss://127.0.0.1:<tlsPort> when started with `tls`, else undefined. */
  readonly tlsUrl?: string;
  readonly tlsPort?: number;
  /** True when startRedis started this server (false: REDIS_URL). */
  readonly owned: boolean;
  /**
   * Stops the server (SIGKILL: there is nothing to keep) and deletes its directory; idempotent.
   * A no-op for a server given by URL.
   */
  stop(): Promise<void>;
  /**
   * Fault injection: ends the server with a signal and keeps its directory (SIGTERM, the
   * default, is a clean shutdown that keeps the append-only file of a persistent server);
   * restart() starts it again. Throws for a server given by URL.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed server again, on the same port and directory. Throws for a server given by URL. */
  restart(): Promise<void>;
}

/** Neither REDIS_URL nor a redis-server executable: the message says how to get one. */
export class NoRedisServerError extends Error {
  readonly code = 'NO_REDIS_SERVER';
  constructor(command: string, options?: { cause?: unknown }) {
    super(
      `sluice/testing: REDIS_URL is not set and "${command}" could not be started, so there is no Redis to test against. ` +
        'Install Redis 7 or later (`sudo apt-get install redis-server`, `brew install redis`) so that redis-server is on PATH, ' +
        'or set REDIS_URL to a Redis the tests may use (they isolate themselves with a key prefix and never flush it).',
      options,
    );
    this.name = 'NoRedisServerError';
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Whether the server on `port` answers and is process `pid`: another process's Redis may take
 * a port between freePort() and our server's bind, and must not pass for ours.
 */
function answers(port: number, pid: number | undefined, timeoutMs = 250): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.startsWith('-')) return done(false); // LOADING and the like: not ready yet
      const m = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (m) done(Number(m[1]) === pid);
    });
    socket.on('error', () => done(false));
  });
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}

// Servers still running: killed when the process exits without stopping them (one listener
// for all of them).
const running = new Map<ChildProcess, string>();
let exitHook = false;
function track(proc: ChildProcess, dir: string): void {
  running.set(proc, dir);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const [child, childDir] of running) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(childDir, { recursive: true, force: true });
    }
  });
}

class StartFailure extends Error {
  constructor(
    message: string,
    readonly portTaken: boolean,
  ) {
    super(message);
  }
}

/** Spawns redis-server and resolves once it answers PING. */
async function launch(
  command: string,
  args: string[],
  port: number,
  logfile: string,
  timeoutMs: number,
  detached = false,
): Promise<ChildProcess> {
  const proc = spawn(command, args, { stdio: 'ignore', detached });
  let failure: Error | undefined;
  proc.once('error', (err: NodeJS.ErrnoException) => {
    failure = err.code === 'ENOENT' ? new NoRedisServerError(command, { cause: err }) : err;
  });
  proc.once('exit', (code, signal) => {
    const log = logTail(logfile);
    failure ??= new StartFailure(
      `redis-server on port ${port} exited before it answered (${signal ?? `code ${code}`})${log ? `:\n${log}` : ''}`,
      /address already in use/i.test(log),
    );
  });
  const deadline = Date.now() + timeoutMs;
  // a readiness probe of a child process (there is no event to wait on): every 20 ms
  while (!failure && !(await answers(port, proc.pid))) {
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(
        `redis-server on port ${port} did not answer within ${timeoutMs} ms${logTail(logfile) ? `:\n${logTail(logfile)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  if (failure) throw failure;
  // the server must not keep the process alive: the exit hook kills it
  proc.unref();
  return proc;
}

function given(url: string): TestRedis {
  const refuse = async () => {
    throw new Error(`sluice/testing: the Redis at ${url} was given by URL (REDIS_URL); it cannot be killed or restarted`);
  };
  return { url, port: Number(new URL(url).port || 6379), owned: false, stop: async () => undefined, kill: refuse, restart: refuse };
}

/**
 * Starts a private redis-server on a free loopback port (or uses REDIS_URL when it is set).
 * Throws NoRedisServerError when there is neither.
 * @example
 * const redis = await startRedis();
 * // ... new Queue('q', { connection: redis.url }) ...
 * await redis.stop();
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<TestRedis> {
  const url = opts.url === undefined ? process.env.REDIS_URL || undefined : (opts.url ?? undefined);
  if (url) return given(url);
  const command = opts.command ?? 'redis-server';
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const logfile = join(dir, 'redis.log');
  const tls = opts.tls;
  // chosen with the plain port (a taken port is tried again); restart() keeps both
  let tlsPort: number | undefined;
  const tlsArgs = (): string[] => {
    if (!tls || tlsPort === undefined) return [];
    const files = ['--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-ca-cert-file', tls.caFile];
    return ['--tls-port', String(tlsPort), ...files, '--tls-auth-clients', 'no'];
  };
  const argsFor = (port: number) => [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--logfile',
    logfile,
    '--save',
    '',
    '--appendonly',
    opts.persistent ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    ...tlsArgs(),
    ...(opts.args ?? []),
  ];
  let port = 0;
  let proc: ChildProcess | undefined;
  // another process can take the free port before redis-server binds it: try a few ports
  for (let attempt = 1; !proc; attempt++) {
    port = await freePort();
    if (tls) tlsPort = await freePort();
    try {
      proc = await launch(command, argsFor(port), port, logfile, timeoutMs, opts.ownProcessGroup);
    } catch (err) {
      if (!(err instanceof StartFailure && err.portTaken && attempt < 3)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  track(proc, dir);
  let current: ChildProcess = proc;
  let stopped = false;
  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const p = current;
    if (p.exitCode !== null || p.signalCode !== null) return;
    p.ref(); // wait for its exit even if nothing else keeps the process alive
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
    running.delete(p);
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    ...(tlsPort === undefined ? {} : { tlsUrl: `rediss://127.0.0.1:${tlsPort}`, tlsPort }),
    owned: true,
    kill,
    restart: async () => {
      if (stopped) throw new Error('sluice/testing: this redis-server was stopped; start a new one');
      if (current.exitCode === null && current.signalCode === null) return;
      current = await launch(command, argsFor(port), port, logfile, timeoutMs, opts.ownProcessGroup);
      track(current, dir);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
