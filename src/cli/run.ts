// The CLI's runner: finds the command, parses its arguments, prints help or the version, runs
// it, closes its connections, and turns whatever went wrong into one line on stderr and an exit
// code (exit-codes.ts): no stack traces. `runCli` returns the code; src/cli.ts sets it.
import { readFileSync } from 'node:fs';
import { SluiceError } from '../errors.js';
import { CommandContext, type Io } from './context.js';
import { CliError, EXIT, UsageError } from './exit-codes.js';
import { commandHelp, toolHelp, usageLine } from './help.js';
import { intOption, parseCommand, parseToolOptions, splitCommand, stringOption } from './parse.js';
import { DEFAULT_TIMEOUT_MS } from './connect.js';
import { COMMANDS, findCommand } from './registry.js';
import type { CommandSpec } from './spec.js';

/** The package's version (package.json, three folders up from dist/src/cli/). */
export function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The exit code of an error a command threw. */
function exitCodeOf(err: unknown): number {
  if (err instanceof CliError) return err.exitCode;
  if (err instanceof SluiceError) {
    if (err.code === 'INVALID_OPTION' || err.code === 'INVALID_ID') return EXIT.usage;
    if (err.code === 'JOB_NOT_FOUND') return EXIT.notFound;
    if (err.code === 'REDIS_UNAVAILABLE') return EXIT.unavailable;
  }
  // a raw ioredis error from a direct read (the CLI's client does not reconnect)
  if (
    err instanceof Error &&
    /Connection is closed|Command timed out|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|max retries per request/i.test(err.message)
  ) {
    return EXIT.unavailable;
  }
  return EXIT.error;
}

/** Reports an error: one line (and, for a usage error, the usage line and where help is). */
function report(err: unknown, io: Io, spec: CommandSpec | undefined): number {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
  io.stderr.write(`sluice: ${message}\n`);
  const code = exitCodeOf(err);
  if (code === EXIT.usage) {
    const named = err instanceof UsageError && err.command ? findCommand(err.command) : spec;
    io.stderr.write(
      named ? `usage: ${usageLine(named)}\nRun 'sluice ${named.name} --help' for more.\n` : "Run 'sluice --help' for the commands.\n",
    );
  }
  return code;
}

const processIo: Io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };

/** Runs one command line; resolves with the exit code once every connection is closed. */
export async function runCli(argv: string[], io: Io = processIo): Promise<number> {
  let spec: CommandSpec | undefined;
  let ctx: CommandContext | undefined;
  try {
    const { command, rest } = splitCommand(argv);
    if (command === undefined || command === 'help') {
      const topic = command === 'help' ? rest.find((a) => !a.startsWith('-')) : undefined;
      const o = command === 'help' ? { help: true, version: false } : parseToolOptions(rest);
      if (topic !== undefined) {
        spec = findCommand(topic);
        if (!spec) throw new UsageError(`unknown command "${topic}"`);
        io.stdout.write(`${commandHelp(spec)}\n`);
      } else if (o.version) io.stdout.write(`${version()}\n`);
      else if (o.help) io.stdout.write(`${toolHelp(COMMANDS)}\n`);
      else {
        io.stderr.write(`${toolHelp(COMMANDS)}\n`);
        return EXIT.usage;
      }
      return EXIT.ok;
    }
    spec = findCommand(command);
    if (!spec) throw new UsageError(`unknown command "${command}"`);
    const input = parseCommand(spec, rest);
    if (input.help) {
      io.stdout.write(`${commandHelp(spec)}\n`);
      return EXIT.ok;
    }
    const { values } = input;
    ctx = new CommandContext(
      spec.name,
      stringOption(values, 'url') ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      stringOption(values, 'prefix') ?? 'sluice',
      stringOption(values, 'group') ?? 'default',
      values.json === true,
      values.yes === true,
      io,
      intOption(values, 'timeout', DEFAULT_TIMEOUT_MS, 100, 600_000),
      values.cluster === true,
    );
    await spec.run(ctx, input);
    return ctx.exitCode;
  } catch (err) {
    return report(err, io, spec);
  } finally {
    await ctx?.close();
  }
}
