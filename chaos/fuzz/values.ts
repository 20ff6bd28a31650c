// The fuzzer's bad values: numbers at and past every edge, strings of every awkward kind (braces,
// colons, control characters, non-ASCII, lone surrogates, empty, huge), names and ids that are
// half valid and half not, and job payloads JSON cannot carry or that push its limits (huge, deep,
// cyclic, __proto__ keys, BigInt, functions, symbols, throwing getters and toJSON).
import type { Rng } from './prng.js';

const EDGE_NUMBERS = [
  -1,
  0,
  -0,
  1,
  1.5,
  -0.5,
  0.1,
  2,
  3,
  7,
  100,
  1000,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2097152,
  2097153,
  1e15,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

export function weirdNumber(rng: Rng): number {
  return rng.chance(0.8) ? rng.pick(EDGE_NUMBERS) : rng.int(-5, 5000);
}

/** Characters that are awkward somewhere: in a key, a regex, JSON, UTF-8, a terminal. */
const AWKWARD = [
  '{',
  '}',
  ':',
  ' ',
  '\t',
  '\n',
  '\r',
  '\0',
  '\x1f',
  '\x7f',
  '*',
  '?',
  '[',
  ']',
  '"',
  "'",
  '\\',
  '%',
  ',',
  '.',
  '..',
  '-',
  '#',
  '=',
  '/',
  'é',
  '€',
  'ß',
  '日本',
  '🙂',
  '\u200b',
  '\u2028',
  '\ufeff',
  '\uffff',
  '\ud800',
  '\udc00',
  '\udbff\udfff',
  '\udfff\udbff',
];
const SAFE = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.';

export function safeString(rng: Rng, min: number, max: number): string {
  let s = '';
  const n = rng.int(min, max);
  for (let i = 0; i < n; i++) s += SAFE[rng.int(0, SAFE.length - 1)];
  return s;
}

/** A string of up to `max` pieces, each a safe run or an awkward character. */
export function weirdString(rng: Rng, max = 12): string {
  return rng.oneOf([
    () => '',
    () => rng.pick(AWKWARD),
    () => {
      let s = '';
      const n = rng.int(1, max);
      for (let i = 0; i < n; i++) s += rng.chance(0.5) ? rng.pick(AWKWARD) : safeString(rng, 1, 6);
      return s;
    },
    // lengths at and past the limits names and ids have (64, 100, 128, 256) and far past them
    () => 'x'.repeat(rng.pick([63, 64, 65, 99, 100, 101, 127, 128, 129, 255, 256, 257, 4096, 70_000])),
    () => `${rng.pick(AWKWARD)}${'y'.repeat(rng.int(1, 200))}`,
    () => String(rng.int(0, 1e9)),
    () => `${rng.int(0, 1e13)}-${rng.int(0, 99)}`,
  ]);
}

/** Anything at all, for an option or argument that wants something else. */
export function weirdValue(rng: Rng, depth = 0): unknown {
  return rng.oneOf<unknown>([
    () => weirdNumber(rng),
    () => weirdNumber(rng),
    () => weirdString(rng),
    () => rng.chance(0.5),
    () => null,
    () => undefined,
    () => [],
    () => ({}),
    () => BigInt(rng.int(-5, 5)),
    () => Symbol('fuzz'),
    () => () => 1,
    () => new Date(rng.chance(0.5) ? Number.NaN : rng.int(0, 2e12)),
    () => /re/g,
    () => new Map([[1, 2]]),
    () => (depth < 2 ? [weirdValue(rng, depth + 1), weirdValue(rng, depth + 1)] : 1),
    () => (depth < 2 ? { [weirdString(rng, 2)]: weirdValue(rng, depth + 1) } : 'x'),
    () => JSON.parse('{"__proto__":{"polluted":1}}'),
  ]);
}

/** A name or id: half of them valid by construction (so that calls get through), half anything. */
export function fuzzName(rng: Rng, maxValid: number): unknown {
  if (rng.chance(0.5)) return `f${safeString(rng, 0, Math.min(maxValid - 1, 20))}`;
  return rng.chance(0.85) ? weirdString(rng) : weirdValue(rng);
}

/** A job id: valid, awkward but maybe valid (':' , non-ASCII, lone surrogates), or anything. */
export function fuzzJobId(rng: Rng, n: number): unknown {
  return rng.oneOf<unknown>([
    () => `id-${n}-${safeString(rng, 0, 8)}`,
    () => `id-${n}:${rng.pick(AWKWARD)}${rng.pick(AWKWARD)}`,
    () => `id-${n}-${rng.pick(['é', '日本', '🙂', '\ud800', '\udc00', '\uffff', '\u2028', '%', '*', ':logs', ':job:x'])}`,
    () => weirdString(rng),
    () => weirdValue(rng),
  ]);
}

/** An object whose key is `__proto__` as an own property (as JSON.parse makes it). */
function protoKeyed(rng: Rng): unknown {
  const o = JSON.parse(`{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":${rng.int(0, 9)}}}}`) as object;
  return rng.chance(0.5) ? o : { nested: [o], prototype: 1, toString: 'not a function', hasOwnProperty: 2 };
}

function deep(rng: Rng): unknown {
  // up to 10,000 levels: past Lua cjson's 1,000 and deep enough to strain a recursive walk
  const depth = rng.pick([10, 100, 999, 1000, 1001, 3000, 10_000]);
  let v: unknown = rng.chance(0.5) ? 'leaf' : null;
  for (let i = 0; i < depth; i++) v = rng.chance(0.5) ? [v] : { d: v };
  return v;
}

function cyclic(rng: Rng): unknown {
  const a: Record<string, unknown> = { a: 1 };
  const b: unknown[] = [a];
  if (rng.chance(0.5)) a.self = a;
  else a.list = b;
  return rng.chance(0.5) ? a : { wrapper: { deeper: [b] } };
}

/** Values whose JSON form is surprising or that throw while being serialised. */
function tricky(rng: Rng): unknown {
  return rng.oneOf<unknown>([
    () => ({
      get boom(): never {
        throw new Error('getter throws');
      },
    }),
    () => ({ toJSON: () => 'replaced' }),
    () => ({ toJSON: () => BigInt(1) }),
    () => ({
      toJSON(): never {
        throw new TypeError('toJSON throws');
      },
    }),
    () =>
      new Proxy(
        {},
        {
          ownKeys(): never {
            throw new RangeError('proxy ownKeys throws');
          },
        },
      ),
    () => new Uint8Array([1, 2, 3]),
    () => {
      const holes: unknown[] = [1];
      holes[3] = 3; // holes at 1 and 2: null in JSON
      return holes;
    },
    () => ({ u: undefined, s: Symbol('s'), [Symbol('k')]: 1 }),
    () => ({ d: new Date(Number.NaN) }),
    () => new Map([['k', 'v']]),
    () => Object.create(null) as object,
    () => ({ n: -0, big: 1e308, tiny: 5e-324 }),
  ]);
}

/** A job payload; `limit` is the queue's maxPayloadBytes, for payloads just under and over it. */
export function fuzzPayload(rng: Rng, limit: number): unknown {
  return rng.oneOf<unknown>([
    () => ({ n: rng.int(0, 1e6), s: safeString(rng, 0, 20) }),
    () => weirdString(rng, 30),
    () => ({ text: weirdString(rng, 30), list: [weirdString(rng, 5), rng.int(-9, 9)] }),
    () => weirdNumber(rng),
    () => rng.pick([null, undefined, true, false, 0, '', [], {}]),
    () => weirdValue(rng),
    () => protoKeyed(rng),
    () => deep(rng),
    () => cyclic(rng),
    () => tricky(rng),
    () => BigInt(2) ** 70n,
    () => () => 'fn',
    () => Symbol('payload'),
    // around the size limit: the JSON of a string of n characters is n + 2 bytes (ASCII)
    () => 'z'.repeat(limit - 2 - rng.int(0, 1)),
    () => 'z'.repeat(limit + rng.int(-1, 64)),
    () => '€'.repeat(Math.floor(limit / 3) + rng.int(-2, 2)),
    () => ({ blob: '\ud800'.repeat(Math.floor(limit / 6) + rng.int(-2, 2)) }),
  ]);
}
