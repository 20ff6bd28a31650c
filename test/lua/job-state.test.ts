// The job state machine of src/job/job-state.ts (TRANSITIONS) must match what the Lua scripts do:
// every write of the job hash's state field in lua/**/*.lua — in an HSET/HMSET/HSETNX, or in a
// record table later written with unpack — must be listed for that file (by its basename, so
// that moving includes into folders changes nothing), and every row must still have its write.
// Redis-free: it reads the files only. docs/job-lifecycle.md is the prose form of the table.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JOB_STATES, TRANSITIONS, type Transition } from '../../src/job/job-state.js';
import { JobField } from '../../src/redis/keys.js';

const luaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lua');
const STATE_FIELD: string = JobField.state;
/** Field names of the job hash: JobField plus those the Lua writes that it does not list yet. */
const HASH_FIELDS = new Set<string>([...Object.values(JobField), 'ok', 'kr', 'pend']);
const WRITE_COMMANDS = new Set(['HSET', 'HMSET', 'HSETNX']);

interface Token {
  kind: 'string' | 'name' | 'number' | 'punct';
  text: string;
  line: number;
}

/** Lua tokens, comments left out (strings keep their value, unquoted). */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const longBracket = (at: number): number => {
    const m = /^\[(=*)\[/.exec(source.slice(at));
    return m ? m[1]!.length : -1;
  };
  const skipLong = (at: number, level: number): number => {
    const close = `]${'='.repeat(level)}]`;
    const end = source.indexOf(close, at);
    const stop = end < 0 ? source.length : end + close.length;
    for (let j = at; j < stop; j++) if (source[j] === '\n') line++;
    return stop;
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (source.startsWith('--', i)) {
      const level = longBracket(i + 2);
      if (level >= 0) i = skipLong(i + 2, level);
      else while (i < source.length && source[i] !== '\n') i++;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < source.length && source[j] !== c) {
        if (source[j] === '\\') {
          text += source[j + 1] ?? '';
          j += 2;
        } else text += source[j++];
      }
      tokens.push({ kind: 'string', text, line });
      i = j + 1;
    } else if (c === '[' && longBracket(i) >= 0) {
      const startLine = line;
      const level = longBracket(i);
      const end = skipLong(i, level);
      tokens.push({ kind: 'string', text: source.slice(i + level + 2, end - level - 2), line: startLine });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_]\w*/.exec(source.slice(i))!;
      tokens.push({ kind: 'name', text: m[0], line });
      i += m[0].length;
    } else if (/\d/.test(c)) {
      const m = /^\d[\w.]*/.exec(source.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], line });
      i += m[0].length;
    } else {
      const op = ['...', '..', '==', '~=', '<=', '>='].find((o) => source.startsWith(o, i)) ?? c;
      tokens.push({ kind: 'punct', text: op, line });
      i += op.length;
    }
  }
  return tokens;
}

interface StateWrite {
  /** The state written; undefined when the value is an expression the scan cannot resolve. */
  value: string | undefined;
  line: number;
  /** The value's source text, when it is not a plain literal. */
  expression?: string;
}

const OPEN: Record<string, string> = { '(': ')', '{': '}', '[': ']' };
const CLOSE = new Set([')', '}', ']']);

/**
 * The writes of the state field in one Lua file: `'s', <value>` at a field position of a
 * redis.call/pcall HSET, HMSET or HSETNX, or of a table constructor (a record written later with
 * unpack; a table that lists field names, like an HMGET's, is not a write). A variable value is
 * resolved through the file's assignments of string literals to it.
 */
function stateWrites(source: string): StateWrite[] {
  const t = tokenize(source);
  const writes: StateWrite[] = [];
  for (let i = 0; i + 2 < t.length; i++) {
    if (t[i]!.kind !== 'string' || t[i]!.text !== STATE_FIELD || t[i + 1]!.text !== ',') continue;
    // the innermost open bracket around the field, and which argument or item the field is
    let depth = 0;
    let commas = 0;
    let o = i - 1;
    for (; o >= 0; o--) {
      const x = t[o]!.text;
      if (t[o]!.kind !== 'punct') continue;
      if (CLOSE.has(x)) depth++;
      else if (OPEN[x]) {
        if (depth === 0) break;
        depth--;
      } else if (x === ',' && depth === 0) commas++;
    }
    if (o < 0) continue;
    const opener = t[o]!.text;
    // the value: everything up to the next comma or closing bracket at this depth
    const value: Token[] = [];
    depth = 0;
    for (let j = i + 2; j < t.length; j++) {
      const x = t[j]!;
      if (x.kind === 'punct' && depth === 0 && (x.text === ',' || CLOSE.has(x.text))) break;
      if (x.kind === 'punct' && OPEN[x.text]) depth++;
      if (x.kind === 'punct' && CLOSE.has(x.text)) depth--;
      value.push(x);
    }
    const literal = value.length === 1 && value[0]!.kind === 'string' ? value[0]!.text : undefined;
    if (opener === '(') {
      const isRedis = t[o - 3]?.text === 'redis' && t[o - 2]?.text === '.' && (t[o - 1]?.text === 'call' || t[o - 1]?.text === 'pcall');
      const command = isRedis && t[o + 1]?.kind === 'string' ? t[o + 1]!.text.toUpperCase() : undefined;
      // HSET key field value ...: fields are the arguments 2, 4, 6, ... (0 is the command)
      if (!command || !WRITE_COMMANDS.has(command) || commas < 2 || commas % 2 !== 0) {
        // a read (HMGET, a helper's field list) passes field names; a state value there is a
        // write through some helper, which this scan cannot see: flagged by the value check
        if (literal === undefined || !(JOB_STATES as readonly string[]).includes(literal) || command) continue;
      }
    } else if (opener === '{') {
      // a record table { field, value, ... }: the field at an even position; a list of field
      // names (read with HMGET) has a field name where a record has the state
      if (commas % 2 !== 0) continue;
      if (literal !== undefined && HASH_FIELDS.has(literal)) continue;
    } else continue;
    const line = t[i]!.line;
    if (literal !== undefined) {
      writes.push({ value: literal, line });
    } else if (value.length === 1 && value[0]!.kind === 'name') {
      const resolved = resolveVariable(t, value[0]!.text);
      if (resolved.length === 0) writes.push({ value: undefined, line, expression: value[0]!.text });
      for (const v of resolved) writes.push({ value: v, line, expression: value[0]!.text });
    } else {
      writes.push({ value: undefined, line, expression: value.map((x) => x.text).join(' ') });
    }
  }
  return writes;
}

/** The string literals assigned to `name` in the file (`name = 'x'`, `local name = 'x'`); [] if any assignment is not one. */
function resolveVariable(t: Token[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 2 < t.length; i++) {
    if (t[i]!.text !== name || t[i + 1]!.text !== '=' || t[i - 1]?.text === '.') continue;
    const v = t[i + 2]!;
    const next = t[i + 3];
    const plain = v.kind === 'string' && (next?.kind !== 'punct' || !['..', '(', '['].includes(next.text));
    if (!plain) return [];
    values.push(v.text);
  }
  return values;
}

/** lua/**\/*.lua by basename (without .lua), with the includes each file names. */
interface LuaFile {
  path: string;
  source: string;
  includes: string[];
}

function readLuaTree(dir: string): Map<string, LuaFile> {
  const files = new Map<string, LuaFile>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.lua')) {
        const name = basename(entry.name, '.lua');
        const source = readFileSync(path, 'utf8');
        const rel = relative(dir, path);
        if (files.has(name)) throw new Error(`two Lua files share the basename "${name}": ${files.get(name)!.path} and ${rel}`);
        const includes = [...source.matchAll(/^--\s*@include\s+(\S+)\s*$/gm)].map((m) => basename(m[1]!));
        files.set(name, { path: rel, source, includes });
      }
    }
  };
  walk(dir);
  return files;
}

/** Everything wrong between the Lua files and the table; [] when they agree. */
function checkTransitions(files: Map<string, LuaFile>, transitions: readonly Transition[]): string[] {
  const problems: string[] = [];
  const states = JOB_STATES as readonly string[];
  const written = new Map<string, StateWrite[]>(); // "file -> state" -> where
  for (const [name, file] of files) {
    for (const w of stateWrites(file.source)) {
      if (w.value === undefined) {
        problems.push(`${file.path}:${w.line} writes the state from "${w.expression}", which the scan cannot resolve: write a literal`);
      } else if (!states.includes(w.value)) {
        problems.push(`${file.path}:${w.line} writes state "${w.value}", which is not a JobState (${states.join(', ')})`);
      } else {
        const pair = `${name} -> ${w.value}`;
        written.set(pair, [...(written.get(pair) ?? []), w]);
      }
    }
  }
  const listed = new Set(transitions.map((r) => `${r.by} -> ${r.to}`));
  for (const [pair, where] of written) {
    if (!listed.has(pair)) {
      const [name] = pair.split(' -> ');
      const lines = where.map((w) => `${files.get(name!)!.path}:${w.line}`).join(', ');
      problems.push(`missing row: ${pair} is written (${lines}) but TRANSITIONS has no row for it`);
    }
  }
  const reaches = (from: string, target: string, seen = new Set<string>()): boolean => {
    if (from === target) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (files.get(from)?.includes ?? []).some((inc) => reaches(inc, target, seen));
  };
  for (const row of transitions) {
    const pair = `${row.by} -> ${row.to}`;
    if (!files.has(row.by)) problems.push(`stale row: ${row.from} -> ${row.to} by "${row.by}": no lua file has that basename`);
    else if (!written.has(pair))
      problems.push(`stale row: ${row.from} -> ${row.to} by "${row.by}": ${files.get(row.by)!.path} writes no "${row.to}"`);
    for (const via of row.via ?? []) {
      if (!files.has(via)) problems.push(`row ${row.from} -> ${row.to} by "${row.by}": via "${via}" is no lua file`);
      else if (!reaches(via, row.by)) problems.push(`row ${row.from} -> ${row.to} by "${row.by}": via "${via}" does not include it`);
    }
  }
  return problems;
}

describe('job state machine (src/job/job-state.ts) against lua/', () => {
  const files = readLuaTree(luaDir);

  it('finds the state writes (the scan is not blind)', () => {
    const all = [...files.values()].flatMap((f) => stateWrites(f.source));
    // today: 23 writes in 13 files; a refactor may move them, not make them vanish
    expect(all.length).toBeGreaterThan(15);
    for (const state of JOB_STATES)
      expect(
        all.some((w) => w.value === state),
        state,
      ).toBe(true);
  });

  it('lists every state write of every script and include, and no write that is gone', () => {
    expect(checkTransitions(files, TRANSITIONS)).toEqual([]);
  });

  it('lists each transition once, and reaches every state', () => {
    const keys = TRANSITIONS.map((r) => `${r.from} -> ${r.to} by ${r.by}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const state of JOB_STATES)
      expect(
        TRANSITIONS.some((r) => r.to === state),
        state,
      ).toBe(true);
  });
});

describe('the scan itself', () => {
  const file = (source: string, includes: string[] = []): LuaFile => ({ path: 'x.lua', source, includes });

  it('sees literal writes in calls and record tables, over lines, and skips reads and comments', () => {
    const src = [
      "-- redis.call('HSET', jobKey, 's', 'failed') in a comment",
      "redis.call('HSET', jobKey, 'n', name,",
      "  's', 'active', 'tk', token)",
      "local record = { 's', 'waiting', 'a', 0 }",
      "local FIELDS = { 's', 'p', 'lf', 'ok' }",
      "local f = redis.call('HMGET', jobKey, 's', 'sc')",
      "local g = readJob(k, rb, id, now, dead, 's', 'n')",
      "if redis.call('HGET', jobKey, 's') == 'waiting' then end",
    ].join('\n');
    expect(stateWrites(src)).toEqual([
      { value: 'active', line: 3 },
      { value: 'waiting', line: 4 },
    ]);
  });

  it('resolves a variable value through its literal assignments, and flags one it cannot', () => {
    const resolved = stateWrites("local to = 'delayed'\nif x then to = 'waiting' end\nredis.call('HSET', k, 's', to)");
    expect(resolved.map((w) => w.value)).toEqual(['delayed', 'waiting']);
    const problems = checkTransitions(new Map([['odd', file("redis.call('HSET', k, 's', ARGV[2])")]]), []);
    expect(problems).toEqual([expect.stringContaining('cannot resolve')]);
  });

  it('fails on drift: a write the table lacks, a row whose write is gone, a bogus state', () => {
    const rows: Transition[] = [
      { from: 'active', to: 'waiting', by: 'release', why: '' },
      { from: 'active', to: 'failed', by: 'release', why: '' },
      { from: 'active', to: 'waiting', by: 'lease', via: ['complete'], why: '' },
    ];
    const tree = new Map([
      ['release', file("redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')\nredis.call('HSET', jobKey, 's', 'delayed')")],
      ['lease', file("redis.call('HSET', jobKey, 's', 'waiting')\nredis.call('HSET', jobKey, 's', 'wating')")],
      ['complete', file('')],
    ]);
    expect(checkTransitions(tree, rows)).toEqual([
      'x.lua:2 writes state "wating", which is not a JobState (waiting-children, waiting, active, delayed, completed, failed)',
      'missing row: release -> delayed is written (x.lua:2) but TRANSITIONS has no row for it',
      'stale row: active -> failed by "release": x.lua writes no "failed"',
      'row active -> waiting by "lease": via "complete" does not include it',
    ]);
  });
});
