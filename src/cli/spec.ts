// What a CLI command is made of: its name, arguments, options (in node:util parseArgs's shape,
// plus what --help says about them), examples and the code that runs it. Every command file
// under commands/ exports one or more CommandSpec; registry.ts lists them. The options shared
// by many commands (--url, --prefix, --group, --json, --yes, --help) are defined here once.
import type { CommandContext } from './context.js';

/** One option: its parseArgs type and short form, and its line in --help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The placeholder of its value in --help (`N`, `ms`, `url`); string options only. */
  value?: string;
  description: string;
}

/** One positional argument, as --help shows it. */
export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
}

/** The options several commands share, by name. */
export type SharedOption = 'group' | 'json' | 'yes';

/** What a command's run() receives: its positional arguments and its option values, checked by parseArgs. */
export interface CommandInput {
  args: string[];
  values: Record<string, string | boolean | undefined>;
}

export interface CommandSpec {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** A paragraph for its --help (what it does, what it reads, what it changes). */
  description: string;
  args: ArgSpec[];
  /** Its own options (besides the global ones and `shared`). */
  options: Record<string, OptionSpec>;
  shared: SharedOption[];
  /** Command lines shown under "Examples" (without the leading `sluice `). */
  examples: string[];
  run(ctx: CommandContext, input: CommandInput): Promise<void>;
}

/** Options every command takes. */
export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', value: 'url', description: 'Redis to use (default: $REDIS_URL, else redis://127.0.0.1:6379)' },
  prefix: { type: 'string', value: 'prefix', description: 'key prefix of the queues (default: sluice)' },
  cluster: { type: 'boolean', description: '--url is a node of a Redis Cluster (its other nodes are found from it)' },
  timeout: { type: 'string', value: 'ms', description: 'how long to wait to connect and for each reply of Redis (default 5000)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

/** The shared options, by name. */
export const SHARED_OPTIONS: Record<SharedOption, OptionSpec> = {
  group: { type: 'string', value: 'group', description: 'consumer group to look at or act on (default: default)' },
  json: { type: 'boolean', description: 'print machine-readable JSON (a stable shape) instead of text' },
  yes: { type: 'boolean', short: 'y', description: 'do it without asking (required when stdin is not a terminal)' },
};

/** Every option a command accepts, in parseArgs's shape. */
export function optionsOf(spec: CommandSpec): Record<string, OptionSpec> {
  const shared = Object.fromEntries(spec.shared.map((name) => [name, SHARED_OPTIONS[name]]));
  return { ...spec.options, ...shared, ...GLOBAL_OPTIONS };
}
