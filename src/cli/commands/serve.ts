// `sluice serve`: starts the web dashboard (src/dashboard/server.ts: startDashboard) on a
// host and port, read-only or not, behind basic auth or a bearer token, until Ctrl-C/SIGTERM.
import { UsageError } from '../exit-codes.js';
import { intOption, stringOption } from '../parse.js';
import { startDashboard, type StartDashboardOptions } from '../../dashboard/server.js';
import type { CommandInput, CommandSpec } from '../spec.js';

/** The dashboard's options from the command line, checked (usage errors, exit 2). */
export function serveOptions(
  values: CommandInput['values'],
  url: string,
  prefix: string,
  cluster = false,
): StartDashboardOptions & { readOnly: boolean; host: string } {
  const port = intOption(values, 'port', 3000, 0, 65_535);
  const host = stringOption(values, 'host') ?? '127.0.0.1';
  if (host.trim() === '') throw new UsageError('--host must not be empty', 'serve');
  const auth = stringOption(values, 'auth');
  const token = stringOption(values, 'token');
  if (auth !== undefined && token !== undefined) throw new UsageError('give --auth or --token, not both', 'serve');
  const options: StartDashboardOptions & { readOnly: boolean; host: string } = {
    connection: cluster ? [url] : url,
    prefix,
    port,
    host,
    readOnly: values['read-only'] === true,
  };
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    if (colon <= 0 || colon === auth.length - 1) throw new UsageError('--auth must be user:password (both non-empty)', 'serve');
    options.auth = { user: auth.slice(0, colon), password: auth.slice(colon + 1) };
  }
  if (token !== undefined) {
    if (token.length < 16) throw new UsageError('--token must be at least 16 characters', 'serve');
    options.token = token;
  }
  return options;
}

export const serveCommand: CommandSpec = {
  name: 'serve',
  summary: 'start the web dashboard',
  description:
    'Serves the dashboard on --host:--port (default 127.0.0.1:3000; 0 picks a free port) until Ctrl-C or ' +
    'SIGTERM. --read-only hides every action; --auth user:password asks for HTTP basic auth, --token for a ' +
    'bearer token (one of them, never both). Listening on another host than 127.0.0.1 without auth exposes ' +
    'your queues: set one.',
  args: [],
  options: {
    port: { type: 'string', value: 'port', description: 'port to listen on (default 3000; 0: a free one)' },
    host: { type: 'string', value: 'host', description: 'address to listen on (default 127.0.0.1)' },
    'read-only': { type: 'boolean', description: 'show queues and jobs, allow no action' },
    auth: { type: 'string', value: 'user:pass', description: 'require HTTP basic auth with this user and password' },
    token: { type: 'string', value: 'token', description: 'require this bearer token (Authorization: Bearer …; at least 16 characters)' },
  },
  shared: [],
  examples: ['serve', 'serve --port 8080 --host 0.0.0.0 --auth admin:s3cret-pass', 'serve --read-only --token "$DASHBOARD_TOKEN"'],
  async run(ctx, { values }) {
    const options = serveOptions(values, ctx.url, ctx.prefix, ctx.cluster);
    const dashboard = await startDashboard(options);
    ctx.print(`sluice dashboard on ${dashboard.url}${options.readOnly ? ' (read-only)' : ''}; Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await dashboard.close();
  },
};
