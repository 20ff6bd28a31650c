// startDashboard: the dashboard on its own node:http server (what `sluice serve` runs). It binds
// 127.0.0.1 unless told otherwise, and refuses to bind any other address without credentials.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import { InvalidOptionError } from '../errors.js';
import { createDashboard } from './handler.js';
import { resolveDashboardOptions, type DashboardOptions } from './options.js';

/** Options of {@link startDashboard}: the dashboard's, plus where to listen. */
export interface StartDashboardOptions extends DashboardOptions {
  /** The port (default 3000; 0: any free port). */
  port?: number;
  /** The address to bind (default `127.0.0.1`). Another than loopback requires `auth` or `token`. */
  host?: string;
}

/** A running dashboard server. */
export interface RunningDashboard {
  /** Where the page is, such as `http://127.0.0.1:3000/`. */
  url: string;
  /** Stops listening, ends open connections and closes the dashboard. */
  close(): Promise<void>;
}

/**
 * startDashboard was asked to listen on an address other computers may reach, with neither
 * `auth` nor `token`: anyone there could read every job and act on the queues. Code
 * `INVALID_OPTION` (it is an {@link InvalidOptionError}).
 */
export class DashboardExposedError extends InvalidOptionError {
  /** @param host - the address refused. */
  constructor(readonly host: string) {
    super(
      `refusing to serve the dashboard on ${host} without credentials: anyone who reaches it could read and change the queues. ` +
        'Set `auth` ({ user, password }) or `token`, or bind 127.0.0.1',
    );
    this.name = 'DashboardExposedError';
  }
}

/** Whether an address only this machine reaches. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare.startsWith('::ffff:127.');
}

/**
 * Serves the dashboard on its own HTTP server.
 *
 * @param opts - the dashboard's options ({@link DashboardOptions}), `port` and `host`.
 * @returns its URL and `close()`.
 * @throws {DashboardExposedError} `host` is not a loopback address and neither `auth` nor `token` is set.
 * @throws {InvalidOptionError} an option is wrong.
 * @example
 * ```ts
 * const { url, close } = await startDashboard({ connection: 'redis://127.0.0.1:6379', port: 3000 });
 * console.log(`dashboard on ${url}`);
 * ```
 */
export async function startDashboard(opts: StartDashboardOptions): Promise<RunningDashboard> {
  const { port = 3000, host = '127.0.0.1', ...rest } = opts ?? ({} as StartDashboardOptions);
  resolveDashboardOptions(rest);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidOptionError(`port must be an integer from 0 to 65535; got ${port}`);
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host must be an address such as 127.0.0.1');
  if (!isLoopback(host) && !rest.auth && !rest.token) throw new DashboardExposedError(host);
  const dashboard = createDashboard(rest);
  const server = createServer((req, res) => dashboard(req, res));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await dashboard.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const base = (rest.basePath ?? '').replace(/\/+$/, '');
  return {
    url: `http://${shown}:${address.port}${base}/`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dashboard.close();
    },
  };
}
