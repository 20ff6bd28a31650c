// The --help texts: the tool's (every command, the global options, the exit codes) and each
// command's (its arguments, every option it takes, examples), made from the command specs so
// that they cannot drift from what the parser accepts.
import { optionsOf, GLOBAL_OPTIONS, type CommandSpec, type OptionSpec } from './spec.js';

/** `sluice <name> <args> [options]`. */
export function usageLine(spec: CommandSpec): string {
  const args = spec.args.map((a) => (a.optional ? `[${a.name}]` : a.name)).join(' ');
  return `sluice ${spec.name}${args ? ` ${args}` : ''} [options]`;
}

function optionLabel(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? ` <${o.value ?? 'value'}>` : ''}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

function optionLines(options: [string, OptionSpec][]): string[] {
  const labels = options.map(([name, o]) => optionLabel(name, o));
  const width = Math.max(...labels.map((l) => l.length));
  return options.map(([, o], i) => `  ${labels[i]!.padEnd(width)}  ${o.description}`);
}

/** Text wrapped at `width` columns, on word boundaries. */
export function wrap(text: string, width = 96): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** A command's full help. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [`usage: ${usageLine(spec)}`, '', wrap(spec.description), ''];
  if (spec.args.length > 0) {
    const width = Math.max(...spec.args.map((a) => a.name.length));
    lines.push('Arguments:', ...spec.args.map((a) => `  ${a.name.padEnd(width)}  ${a.description}${a.optional ? ' (optional)' : ''}`), '');
  }
  lines.push('Options:', ...optionLines(Object.entries(optionsOf(spec))), '');
  lines.push('Examples:', ...spec.examples.map((e) => `  sluice ${e}`), '');
  lines.push('Exit codes: 0 ok, 1 error, 2 usage, 3 not found (queue, group or job), 4 Redis unavailable.');
  return lines.join('\n');
}

/** The tool's help: every command and the global options. */
export function toolHelp(specs: CommandSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length));
  const version: [string, OptionSpec] = ['version', { type: 'boolean', description: 'print the version of sluice' }];
  return [
    'sluice: inspect and manage sluice job queues in Redis',
    '',
    'usage: sluice <command> [arguments] [options]',
    '',
    'Commands:',
    ...specs.map((s) => `  ${s.name.padEnd(width)}  ${s.summary}`),
    '',
    'Global options (every command):',
    ...optionLines([...Object.entries(GLOBAL_OPTIONS), version]),
    '',
    'Read commands take --json (machine-readable output); destructive ones (remove, clean,',
    'retry --all-failed, promote --all) take --yes, and without it ask at a terminal or refuse.',
    'Commands on a queue take --group <group> (default: default).',
    '',
    'Examples:',
    '  sluice queues',
    '  sluice stats orders --url redis://10.0.0.5:6379',
    '  sluice jobs orders failed --limit 20',
    '  sluice retry orders --all-failed --yes',
    '  sluice doctor',
    '',
    'Exit codes: 0 ok, 1 error, 2 usage, 3 not found (queue, group or job), 4 Redis unavailable.',
    "Run 'sluice <command> --help' for a command's arguments, options and examples.",
  ].join('\n');
}
