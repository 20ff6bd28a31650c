// The CLI's command line itself, spawned as the built bin: --help (tool and every command,
// exit 0, every option and an example), --version, unknown commands and options (exit 2 with
// the usage), serve's and workers' option checks, and Redis unavailable (exit 4, one line, fast).
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/registry.js';
import { optionsOf } from '../../src/cli/spec.js';
import { freePort } from '../helpers/redis.js';
import { useRedis } from '../helpers/setup.js';
import { startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';
import { checkBuilt, sluice, startSluice } from './run-cli.js';

const t = useRedis();

beforeAll(() => checkBuilt());

describe('the command line', { timeout: 180_000 }, () => {
  it('--help and -h print the tool help (every command) with exit 0; no command prints it to stderr with exit 2', async () => {
    for (const flag of ['--help', '-h']) {
      const run = await sluice([flag]);
      expect(run.code).toBe(0);
      for (const c of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^ {2}${c.name}\\s+\\S`, 'm'));
      expect(run.stdout).toContain('Exit codes: 0 ok, 1 error, 2 usage, 3 not found');
    }
    const bare = await sluice([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('usage: sluice <command>');
  });

  it('every command has a --help with every option it accepts and an example, exit 0', async () => {
    // a few at a time: the machine's cores are shared
    const runs = [];
    for (let i = 0; i < COMMANDS.length; i += 3)
      runs.push(...(await Promise.all(COMMANDS.slice(i, i + 3).map((c) => sluice([c.name, '--help'])))));
    COMMANDS.forEach((c, i) => {
      const run = runs[i]!;
      expect(run.code, c.name).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(new RegExp(`^usage: sluice ${c.name}[ \\[<]`));
      for (const name of Object.keys(optionsOf(c))) expect(run.stdout, `${c.name} --${name}`).toContain(`--${name}`);
      expect(run.stdout).toMatch(new RegExp(`Examples:\\n {2}sluice ${c.name}`));
    });
    // and `sluice help <command>`
    expect((await sluice(['help', 'jobs'])).stdout).toBe(runs[COMMANDS.findIndex((c) => c.name === 'jobs')]!.stdout);
  });

  it('--version prints the package version', async () => {
    const run = await sluice(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
  });

  it('an unknown command, an unknown option, a missing or extra argument is exit 2 with the usage', async () => {
    const unknown = await sluice(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(`sluice: unknown command "frobnicate"\nRun 'sluice --help' for the commands.\n`);
    for (const [args, message] of [
      [['stats', 'orders', '--bogus'], "sluice: Unknown option '--bogus'"],
      [['stats'], 'sluice: missing <queue>'],
      [['job', 'orders'], 'sluice: missing <id>'],
      [['stats', 'a', 'b'], 'sluice: unexpected argument "b"'],
      [['queues', '--group', 'x'], "sluice: Unknown option '--group'"],
      [['jobs', 'orders', 'waiting', '--limit', 'lots'], 'sluice: --limit must be an integer from 1 to 1000; got "lots"'],
      [['jobs', 'orders', 'sleeping'], 'sluice: unknown state "sleeping"'],
      [['stats', 'bad name!'], 'sluice: '],
    ] as const) {
      const run = await sluice([...args, '--url', t.url]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.startsWith(message), run.stderr).toBe(true);
      expect(run.stderr).toContain(`usage: sluice ${args[0]}`);
    }
  });

  it('options may come before the command', async () => {
    const run = await sluice(['--url', t.url, '--prefix', 'nothing-here', 'queues', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ prefix: 'nothing-here', queues: [] });
  });

  it('REDIS_URL is the default --url', async () => {
    const run = await sluice(['queues', '--prefix', 'nothing-here'], { env: { REDIS_URL: t.url } });
    expect(run.code).toBe(0);
  });

  it('Redis unavailable: one line naming the address, exit 4, within a few seconds', async () => {
    const port = await freePort();
    for (const args of [['queues'], ['stats', 'orders'], ['doctor']]) {
      const run = await sluice([...args, '--url', `redis://user:secret@127.0.0.1:${port}`]);
      expect(run.code, args[0]).toBe(4);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `sluice: cannot reach Redis at redis://user:***@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})\n`,
      );
      expect(run.ms).toBeLessThan(8000);
    }
  });

  it('Redis lost in the middle of a command (connection cut, or gone silent): one line, exit 4, no hang', async () => {
    for (const fault of ['cut', 'freeze'] as const) {
      const proxy = await startProxy(t.redis.port);
      try {
        const top = startSluice(['top', '--interval', '100', '--timeout', '1000', '--url', proxy.url, '--prefix', t.prefix]);
        await waitFor(() => top.output().stdout.includes('sluice top'), 30_000, 'a first frame');
        const at = Date.now();
        proxy[fault]();
        const run = await top.exited;
        expect(run.code, fault).toBe(4);
        expect(run.stderr.trim().split('\n'), fault).toHaveLength(1);
        expect(run.stderr).toMatch(/^sluice: /);
        expect(Date.now() - at).toBeLessThan(10_000);
      } finally {
        await proxy.close();
      }
    }
    expect((await sluice(['queues', '--timeout', 'soon', '--url', t.url])).code).toBe(2);
  });

  it('serve and workers check their options (exit 2) and the queue (exit 3)', async () => {
    const common = ['--url', t.url, '--prefix', t.prefix];
    for (const [args, message] of [
      [['serve', '--port', '70000'], '--port must be an integer from 0 to 65535'],
      [['serve', '--auth', 'nopassword'], '--auth must be user:password'],
      [['serve', '--auth', 'a:b', '--token', 'a-token-of-16-chars-or-more'], 'give --auth or --token, not both'],
      [['serve', '--token', 'short'], '--token must be at least 16 characters'],
      [['serve', '--verbose'], "Unknown option '--verbose'"],
      [['workers'], 'missing <queue>'],
    ] as const) {
      const run = await sluice([...args, ...common]);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain(`sluice: ${message}`);
    }
    // an unknown queue is exit 3
    expect((await sluice(['workers', 'nope', ...common])).code).toBe(3);
  });
});
