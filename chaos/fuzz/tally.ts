// What a fuzz run counts: cases tried, their outcomes by kind (succeeded, or which typed error),
// and the problems found (an untyped error, an unexpected error class, a hang, a job that did
// not round-trip or was affected), each with the seed and case number that replay it.
import { SluiceError } from '../../src/index.js';

export class Tally {
  cases = 0;
  /** Outcome label (`ok`, an error class name, `dead-lettered`...) -> how many. */
  readonly outcomes = new Map<string, number>();
  /** The first problems in full; `problemCount` counts them all. */
  readonly problems: string[] = [];
  problemCount = 0;

  constructor(readonly seed: number) {}

  count(outcome: string, n = 1): void {
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + n);
  }

  problem(where: string, message: string): void {
    this.problemCount++;
    if (this.problems.length < 40) this.problems.push(`${where}: ${message} (FUZZ_SEED=${this.seed})`);
  }

  /** "3,000 cases: ok 1,200, InvalidOptionError 900, ..." */
  summary(label: string): string {
    const parts = [...this.outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n.toLocaleString('en')}`);
    return `${label}: ${this.cases.toLocaleString('en')} cases (${parts.join(', ') || 'none'}); ${this.problemCount} problems`;
  }
}

/** A class of error a call may reject with. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The outcome label of a rejected call: the error's class name when it is one of `acceptable`;
 * otherwise a problem is recorded (an untyped error, or a SluiceError nobody expects there).
 */
export function judgeError(tally: Tally, where: string, err: unknown, acceptable: readonly ErrorClass[]): string {
  const name = err instanceof Error ? err.constructor.name : typeof err;
  if (err instanceof SluiceError && acceptable.some((c) => err instanceof c)) return name;
  const message = err instanceof Error ? err.message.slice(0, 200) : String(err);
  // FUZZ_STACK=1: the whole stack of every problem error, to find where it came from
  if (process.env.FUZZ_STACK) console.error(where, err);
  if (err instanceof SluiceError) tally.problem(where, `unexpected ${name} (${err.code}): ${message}`);
  else tally.problem(where, `untyped ${name}: ${message}${origin(err)}`);
  return `bad ${name}`;
}

/** Where in sluice an untyped error was thrown: the first frame of src/ in its stack. */
function origin(err: unknown): string {
  const frame = err instanceof Error ? err.stack?.split('\n').find((l) => /\/src\//.test(l)) : undefined;
  return frame
    ? ` at ${frame
        .trim()
        .replace(/^at /, '')
        .replace(/.*\/(src\/)/, '$1')}`
    : '';
}

/** A hang: the call did not settle within `ms`. */
export class CaseTimeout extends Error {}

/** Resolves or rejects as `p` does, or rejects with CaseTimeout after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CaseTimeout(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The JSON a worker should see for data sent (undefined travels as null), or undefined when JSON cannot carry it. */
export function expectedJson(data: unknown): string | undefined {
  try {
    return JSON.stringify(data === undefined ? null : data);
  } catch {
    return undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
