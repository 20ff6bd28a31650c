// Parsing the command line with node:util parseArgs (no hand parsing): which command, then its
// positional arguments and options, strictly (an unknown option is a usage error, exit 2);
// and the checked numbers and choices that option values turn into.
import { parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';
import { GLOBAL_OPTIONS, SHARED_OPTIONS, optionsOf, type CommandInput, type CommandSpec, type OptionSpec } from './spec.js';

/** parseArgs's option config from ours. */
function config(options: Record<string, OptionSpec>) {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
  );
}

/** Every option name any command knows: enough to find the command word among options given first. */
const ANY_OPTION = { ...SHARED_OPTIONS, ...GLOBAL_OPTIONS, version: { type: 'boolean', description: '' } as OptionSpec };

/**
 * The command word (the first positional argument) and the arguments without it. Options may
 * come before it (`sluice --url redis://… stats orders`): global string options take their value.
 */
export function splitCommand(argv: string[]): { command: string | undefined; rest: string[] } {
  const { tokens } = parseArgs({ args: argv, options: config(ANY_OPTION), strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  if (!first) return { command: undefined, rest: argv };
  return { command: first.value, rest: argv.filter((_, i) => i !== first.index) };
}

/** The tool's own options when no command is given (`--help`, `--version`). */
export function parseToolOptions(argv: string[]): { help: boolean; version: boolean } {
  try {
    const { values } = parseArgs({ args: argv, options: config(ANY_OPTION), strict: true, allowPositionals: false });
    return { help: values.help === true, version: values.version === true };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A command's arguments and options, checked: unknown options, missing or extra arguments are usage errors. */
export function parseCommand(spec: CommandSpec, argv: string[]): CommandInput & { help: boolean } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: config(optionsOf(spec)), strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ''), spec.name);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { args: parsed.positionals, values, help: true };
  const required = spec.args.filter((a) => !a.optional).length;
  if (parsed.positionals.length < required) {
    const missing = spec.args.slice(parsed.positionals.length, required).map((a) => a.name);
    throw new UsageError(`missing ${missing.join(' and ')}`, spec.name);
  }
  if (parsed.positionals.length > spec.args.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[spec.args.length]}"`, spec.name);
  }
  return { args: parsed.positionals, values, help: false };
}

/** An integer option value in [min, max], or `fallback` when not given. */
export function intOption(
  values: CommandInput['values'],
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be an integer ${range}; got "${String(raw)}"`);
  }
  return n;
}

/** A string option that must be one of `choices`, or `fallback`. */
export function choiceOption<T extends string>(values: CommandInput['values'], name: string, choices: readonly T[], fallback?: T): T {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required (${choices.join(' or ')})`);
    return fallback;
  }
  if (!choices.includes(raw as T)) throw new UsageError(`--${name} must be ${choices.join(' or ')}; got "${String(raw)}"`);
  return raw as T;
}

/** A string option's value, or undefined. */
export function stringOption(values: CommandInput['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}
