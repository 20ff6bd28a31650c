// Checks shared by every options object and name: queue, group and job names, the key prefix,
// integers, choices, and unknown option keys (refused with the nearest known name). Job
// options themselves are in src/job/job-options.ts.
import { InvalidIdError, InvalidOptionError, UnknownOptionError } from './errors.js';
import { MAX_PARTITIONS } from './partitions/layout.js';

const NAME_RE = /^[A-Za-z0-9_.:-]{1,100}$/;

/**
 * A value as an error message shows it: its JSON (a string quoted), else String(value). Never
 * throws: a BigInt, a Symbol or a cycle passed where a name or option belongs must still get
 * its typed error, not a TypeError from the message.
 */
export function shown(value: unknown): string {
  // numbers as String() shows them (NaN, not JSON's null)
  if (typeof value !== 'string' && typeof value !== 'object') return String(value);
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // BigInt, a cycle, a toJSON that throws: String() below
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A lone surrogate: Redis keeps strings as UTF-8, where it turns into U+FFFD, so an id or name with one would come back changed. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `s` is well-formed UTF-16 (no lone surrogate), so that it survives Redis unchanged. */
export function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s);
}
const GROUP_RE = /^[A-Za-z0-9_.-]{1,64}$/;
export function validateQueueName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new InvalidIdError(`queue name must be 1-100 characters of letters, digits, _ . : -; got ${shown(name)}`);
  }
  return name;
}

export function validateGroupName(name: unknown): string {
  if (typeof name !== 'string' || !GROUP_RE.test(name)) {
    throw new InvalidIdError(`group name must be 1-64 characters of letters, digits, _ . -; got ${shown(name)}`);
  }
  return name;
}

export function validateJobName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 256 || !isWellFormed(name)) {
    throw new InvalidIdError(`job name must be a string of 1-256 characters (well-formed UTF-16); got ${shown(name)}`);
  }
  return name;
}

export function isInt(value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

export function positiveInt(name: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!isInt(value, min)) throw new InvalidOptionError(`${name} must be an integer >= ${min}; got ${shown(value)}`);
  return value;
}

/**
 * The longest block or grace time an option may set (a day): timers are derived from these
 * (block + grace, a multiple of the block), and Node fires a timer past 2^31 - 1 ms at once.
 */
export const MAX_WAIT_OPTION_MS = 86_400_000;

/** A wait time option (blockMs, watchdogGraceMs): an integer from `min` to a day. */
export function waitOptionMs(name: string, value: unknown, fallback: number, min = 1): number {
  const ms = positiveInt(name, value, fallback, min);
  if (ms > MAX_WAIT_OPTION_MS) throw new InvalidOptionError(`${name} must be at most ${MAX_WAIT_OPTION_MS} (a day); got ${shown(value)}`);
  return ms;
}

/** The `partitions` option: undefined (the number recorded in Redis) or an integer 1..MAX_PARTITIONS. */
export function validatePartitions(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (!isInt(value, 1) || value > MAX_PARTITIONS)
    throw new InvalidOptionError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}; got ${shown(value)}`);
  return value;
}

/** The first part of every key; Queue, Worker and QueueEvents of one queue must share it. */
export function validatePrefix(prefix: unknown): string {
  if (prefix === undefined) return 'sluice';
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new InvalidOptionError(`prefix must be 1-64 characters of letters, digits, _ . : -; got ${shown(prefix)}`);
  }
  return prefix;
}

/**
 * Edit distance (insertions, deletions, substitutions and swaps of neighbours), ignoring
 * case: how far a misspelt option name is from a known one.
 */
function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name nearest to `name`, if it is close enough to be a misspelling of it. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Refuses an options object with a key not in `known` (UnknownOptionError, naming the key and
 * the nearest known one): a misspelt option would otherwise be ignored without a word.
 * `where` names the object in the message ("Worker options"), `path` prefixes nested keys
 * ("limiter."). Undefined passes (the options are optional); anything but a plain object fails.
 */
export function checkOptionNames(where: string, opts: unknown, known: readonly string[], path = ''): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw new InvalidOptionError(
      `${path ? path.slice(0, -1) : where} must be an object; ` +
        `got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`,
    );
  }
  for (const key of Object.keys(opts)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    throw new UnknownOptionError(
      where,
      path + key,
      near === undefined ? undefined : path + near,
      known.map((k) => path + k),
    );
  }
}

/** A string option that takes one of a few values (the nearest is suggested). */
export function validateChoice<T extends string>(name: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
  const near = typeof value === 'string' ? nearestName(value, choices) : undefined;
  throw new InvalidOptionError(
    `${name} must be ${choices.map((c) => `'${c}'`).join(', ')}; got ${shown(value)}${near ? ` (did you mean '${near}'?)` : ''}`,
  );
}
