// The field registry (JobField and MetaField in src/redis/keys.ts) must match what the Lua scripts
// use: every field a script reads or writes in a job hash or in the queue's meta hash is
// registered, and every registered job field is written by some script (every meta field read
// or written: the queue's settings are written by TypeScript). Needs no Redis: it reads
// lua/**/*.lua as text, whatever the files are called, and finds the hash commands by syntax.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { JobField, MetaField } from '../../src/redis/keys.js';

const luaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lua');

/** A field name with its variable parts (a group, a key) written as GROUP, e.g. "limit:<G>". */
const GROUP = '<G>';

const WRITES = new Set(['HSET', 'HMSET', 'HSETNX', 'HINCRBY', 'HINCRBYFLOAT', 'HDEL']);
const READS = new Set(['HGET', 'HMGET', 'HEXISTS']);
/** Commands whose field arguments come in (field, value) pairs; the others name fields only. */
const PAIRS = new Set(['HSET', 'HMSET']);
/** Commands that take exactly one field. */
const ONE_FIELD = new Set(['HSETNX', 'HINCRBY', 'HINCRBYFLOAT', 'HGET', 'HEXISTS']);

type Hash = 'job' | 'meta' | 'keyState' | 'scheduler' | 'kids';

/**
 * Which hash a key expression names, from the expression and what its names were assigned (or,
 * for KEYS[n], the script header's line for it). The first matching rule wins; a key no rule
 * knows fails the test: teach it here.
 */
const HASH_RULES: [Hash, RegExp][] = [
  // a flow parent's children: its fields are child keys (d:, v:, f: + the child's record key), not registered names
  ['kids', /kids/i],
  ['meta', /meta/i],
  ['keyState', /keyst/i],
  ['scheduler', /scheduler/i],
  ['job', /job|record|holder|published/i],
];

interface LuaFile {
  path: string;
  /** The text without comments (strings kept, line breaks kept). */
  code: string;
  /** The original text (the header names each KEYS[n]). */
  source: string;
}

interface Use {
  hash: Hash;
  field: string;
  write: boolean;
  where: string;
}

interface Scan {
  uses: Use[];
  /** Hash commands the scan could not read: a key of no known hash, or a written field it cannot name. */
  unreadable: string[];
}

function luaFiles(dir: string): LuaFile[] {
  const out: LuaFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...luaFiles(path));
    else if (name.endsWith('.lua')) {
      const source = readFileSync(path, 'utf8');
      out.push({ path, source, code: stripComments(source) });
    }
  }
  return out;
}

/** Blanks out -- comments and --[[ ]] blocks (strings are skipped over, line breaks kept). */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const end = stringEnd(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (text.startsWith('--[[', i)) {
      const end = text.indexOf(']]', i);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else if (text.startsWith('--', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** The index just past the quoted string starting at `start`. */
function stringEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

/**
 * Reads from `start` up to the first of `stops` found outside strings and brackets (or up to a
 * closing bracket that was not opened); returns the text and the index where it stopped.
 */
function readUntil(text: string, start: number, stops: string[]): { value: string; end: number } {
  let depth = 0;
  let i = start;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      i = stringEnd(text, i);
      continue;
    }
    if (depth === 0 && stops.some((s) => text.startsWith(s, i))) break;
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (depth === 0) break;
      depth--;
    }
    i++;
  }
  return { value: text.slice(start, i), end: i };
}

/** Splits at `sep` outside strings and brackets. */
function splitTop(text: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    const { value, end } = readUntil(text, start, [sep]);
    parts.push(value.trim());
    if (end >= text.length || !text.startsWith(sep, end)) return parts;
    start = end + sep.length;
  }
}

function literal(expr: string): string | undefined {
  const m = /^'([^'\\]*)'$|^"([^"\\]*)"$/.exec(expr.trim());
  return m ? (m[1] ?? m[2]) : undefined;
}

/** name -> the expressions assigned to it (`local a, b = x, y`, `a = x`), per file. */
function assignments(code: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const m of code.matchAll(/^[ \t]*(?:local[ \t]+)?([A-Za-z_]\w*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*)[ \t]*=(?!=)/gm)) {
    const names = m[1]!.split(',').map((s) => s.trim());
    const values = splitTop(readUntil(code, m.index! + m[0].length, ['\n', ';']).value, ',');
    names.forEach((name, i) => {
      if (values[i] === undefined) return;
      found.set(name, [...(found.get(name) ?? []), values[i]!]);
    });
  }
  return found;
}

/** The table constructors `fn` returns (`return { ... }`), for a `local x = fn(...)`. */
function returnedTables(code: string, fn: string): string[] {
  const start = code.search(new RegExp(`function\\s+${fn}\\s*\\(`));
  if (start < 0) return [];
  const next = code.slice(start + 1).search(/\n(?:local\s+)?function\s/);
  const body = next < 0 ? code.slice(start) : code.slice(start, start + 1 + next);
  return [...body.matchAll(/\breturn\s*\{/g)].map((m) => readUntil(body, m.index! + m[0].length, []).value);
}

class Scanner {
  private readonly assigned = new Map<string, Map<string, string[]>>();
  private readonly all = new Map<string, string[]>();

  constructor(private readonly files: LuaFile[]) {
    for (const f of files) {
      const a = assignments(f.code);
      this.assigned.set(f.path, a);
      for (const [name, values] of a) this.all.set(name, [...(this.all.get(name) ?? []), ...values]);
    }
  }

  /** What `name` was assigned in this file, else anywhere in lua/ (constants of an include). */
  private valuesOf(file: LuaFile, name: string): string[] {
    return this.assigned.get(file.path)!.get(name) ?? this.all.get(name) ?? [];
  }

  scan(): Scan {
    const result: Scan = { uses: [], unreadable: [] };
    for (const file of this.files) {
      const call = /\bredis\.p?call\s*\(|\bpcall\s*\(\s*redis\.p?call\s*,/g;
      for (const m of file.code.matchAll(call)) {
        const args = splitTop(readUntil(file.code, m.index! + m[0].length, []).value, ',');
        const command = literal(args[0] ?? '')?.toUpperCase();
        if (!command || (!WRITES.has(command) && !READS.has(command))) continue;
        const line = file.code.slice(0, m.index).split('\n').length;
        this.command(file, command, args.slice(1), `${relative(luaDir, file.path)}:${line}`, result);
      }
    }
    return result;
  }

  private command(file: LuaFile, command: string, args: string[], where: string, result: Scan): void {
    const [key = '', ...rest] = args;
    const hash = this.hashOf(file, key);
    if (!hash) {
      result.unreadable.push(`${where}: ${command} on ${key}: which hash is it? (HASH_RULES)`);
      return;
    }
    if (hash === 'kids') return;
    const write = WRITES.has(command);
    const fieldArgs = ONE_FIELD.has(command) ? rest.slice(0, 1) : PAIRS.has(command) ? rest.filter((_, i) => i % 2 === 0) : rest;
    for (const arg of fieldArgs) {
      const unpacked = /^unpack\s*\(\s*(\w+)\s*\)$/.exec(arg);
      const names = unpacked ? this.tableFields(file, unpacked[1]!, PAIRS.has(command)) : this.fieldNames(file, arg, 0);
      if (names.length === 0) {
        // a read of fields passed in (readJob(..., ...)) names them at its callers; a write must be readable here
        if (write) result.unreadable.push(`${where}: ${command} ${key} ${arg}: which field is it?`);
        continue;
      }
      for (const field of names) result.uses.push({ hash, field, write, where });
    }
  }

  private hashOf(file: LuaFile, key: string): Hash | undefined {
    const described = [key, ...this.describe(file, key, 0)];
    for (const text of described) {
      for (const [hash, rule] of HASH_RULES) if (rule.test(text)) return hash;
    }
    return undefined;
  }

  /** What the names in a key expression stand for: their assignments, and the header line of a KEYS[n]. */
  private describe(file: LuaFile, expr: string, depth: number): string[] {
    if (depth > 4) return [];
    const out: string[] = [];
    for (const m of expr.matchAll(/KEYS\[(\d+)\]/g)) {
      const header = new RegExp(`^\\s*KEYS\\[${m[1]}\\]\\s+(.*)$`, 'm').exec(file.source);
      if (header) out.push(header[1]!);
    }
    for (const name of new Set(expr.replace(/'[^']*'|"[^"]*"/g, '').match(/[A-Za-z_]\w*/g) ?? [])) {
      for (const value of this.assigned.get(file.path)!.get(name) ?? []) out.push(value, ...this.describe(file, value, depth + 1));
    }
    return out;
  }

  /** The field names an expression can be: a literal, 'prefix:' .. group, or a name holding one. */
  private fieldNames(file: LuaFile, expr: string, depth: number): string[] {
    const text = literal(expr);
    if (text !== undefined) return [text];
    const parts = splitTop(expr, '..');
    if (parts.length > 1) {
      if (!parts.some((p) => literal(p) !== undefined)) return [];
      return [
        parts
          .map((p) => literal(p) ?? GROUP)
          .join('')
          .replaceAll(`${GROUP}${GROUP}`, GROUP),
      ];
    }
    if (depth >= 4) return [];
    if (/^[A-Za-z_]\w*$/.test(expr)) return this.valuesOf(file, expr).flatMap((v) => this.fieldNames(file, v, depth + 1));
    // a field of a constant table: F.state with F = { state = 's', ... }
    const member = /^([A-Za-z_]\w*)\.([A-Za-z_]\w*)$/.exec(expr);
    if (member) {
      return this.valuesOf(file, member[1]!)
        .filter((v) => v.startsWith('{'))
        .flatMap((v) => splitTop(v.slice(1, -1), ','))
        .map((item) => /^(\w+)\s*=\s*(.+)$/s.exec(item))
        .filter((m) => m?.[1] === member[2])
        .flatMap((m) => this.fieldNames(file, m![2]!, depth + 1));
    }
    return [];
  }

  /**
   * The fields in the table `name` that an HSET/HDEL/HMGET unpacks: its constructors (assigned,
   * or returned by the function assigned from), the (field, value) pairs of a record or every
   * item of a list, plus fields appended as `name[#name + 1] = 'field'` or `= LIST[i]`.
   */
  private tableFields(file: LuaFile, name: string, pairs: boolean): string[] {
    const constructors: string[] = [];
    for (const value of this.valuesOf(file, name)) {
      if (value.startsWith('{')) constructors.push(value.slice(1, -1));
      const call = /^(\w+)\s*\(/.exec(value);
      if (call) constructors.push(...returnedTables(file.code, call[1]!));
    }
    const fields: string[] = [];
    for (const body of constructors) {
      splitTop(body, ',').forEach((item, i) => {
        if (pairs && i % 2 === 1) return;
        fields.push(...this.fieldNames(file, item, 0));
      });
    }
    const append = new RegExp(`\\b${name}\\[#${name}\\s*\\+\\s*1\\]\\s*=\\s*`, 'g');
    for (const m of file.code.matchAll(append)) {
      const value = readUntil(file.code, m.index! + m[0].length, ['\n', ';'])
        .value.replace(/\s+end\s*$/, '')
        .trim();
      const listItem = /^(\w+)\[/.exec(value);
      if (literal(value) !== undefined) fields.push(literal(value)!);
      else if (/^'[^']*'\s*\.\./.test(value)) fields.push(...this.fieldNames(file, value, 0));
      else if (listItem && listItem[1] !== name) fields.push(...this.tableFields(file, listItem[1]!, false));
    }
    // a table passed to dataFields (lua/includes/jobData.lua) gets the data: d and its pieces
    if (new RegExp(`\\bdataFields\\(\\s*${name}\\s*,`).test(file.code))
      fields.push(...this.fieldNames(file, "'d'", 0), ...this.fieldNames(file, "'d' .. n", 0));
    return [...new Set(fields)];
  }
}

function registered(registry: Record<string, string | ((group: string) => string)>): Set<string> {
  return new Set(Object.values(registry).map((f) => (typeof f === 'function' ? f(GROUP) : f)));
}

/** What is wrong between the registry and the scripts in `dir`: one line per problem. */
function registryProblems(dir: string): { problems: string[]; scan: Scan } {
  const scan = new Scanner(luaFiles(dir)).scan();
  const problems = [...scan.unreadable];
  const registries = { job: registered(JobField), meta: registered(MetaField) };
  for (const use of scan.uses) {
    if (use.hash !== 'job' && use.hash !== 'meta') continue; // key-state and scheduler hashes: not registered
    if (!registries[use.hash].has(use.field)) {
      problems.push(
        `${use.where}: ${use.write ? 'writes' : 'reads'} ${use.hash} field "${use.field}", ` +
          `not in ${use.hash === 'job' ? 'JobField' : 'MetaField'} (src/redis/keys.ts)`,
      );
    }
  }
  const used = (hash: Hash, writesOnly: boolean) =>
    new Set(scan.uses.filter((u) => u.hash === hash && (u.write || !writesOnly)).map((u) => u.field));
  const jobWritten = used('job', true);
  for (const field of registries.job) if (!jobWritten.has(field)) problems.push(`JobField "${field}": no script writes it (stale?)`);
  const metaUsed = used('meta', false);
  for (const field of registries.meta)
    if (!metaUsed.has(field)) problems.push(`MetaField "${field}": no script reads or writes it (stale?)`);
  return { problems: [...new Set(problems)], scan };
}

describe('field registry', () => {
  it('every job and meta hash field the scripts use is registered, and every registered one is used', () => {
    const { problems, scan } = registryProblems(luaDir);
    expect(problems).toEqual([]);
    // the scan sees the fields that matter (a scanner that finds nothing would pass the first check)
    const written = new Set(scan.uses.filter((u) => u.write).map((u) => `${u.hash}:${u.field}`));
    for (const field of ['job:s', 'job:tk', 'job:kr', 'job:pend', 'job:sb', 'meta:limitUntil:<G>', 'meta:keyscan:<G>'])
      expect(written).toContain(field);
  });

  describe('on a scratch copy of lua/', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'sluice-fields-'));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it('fails on a field no registry knows, on an unreadable write, and on a stale registered field', () => {
      cpSync(luaDir, scratch, { recursive: true });
      // a new include in a new folder, with drift of every kind (and a field read through a constant table)
      const drift = [
        'local function drifted(base, id, group)',
        "  local jobKey = base .. 'job:' .. id",
        "  local F = { state = 's', other = 'zz' }",
        "  redis.call('HSET', jobKey, F.state, 'waiting', F.other, 1)",
        "  redis.call('HSETNX', base .. 'meta', 'newSetting:' .. group, 1)",
        '  local unknownField = ARGV[9]',
        "  redis.call('HDEL', jobKey, unknownField)",
        "  redis.call('HSET', base .. 'mystery', 'x', 1)",
        'end',
      ].join('\n');
      mkdirSync(join(scratch, 'includes', 'drift'));
      writeFileSync(join(scratch, 'includes', 'drift', 'drift.lua'), `${drift}\n`);
      // and a field renamed in the scripts only ('pg' -> 'prog'): JobField.progress goes stale
      let renamed = 0;
      for (const f of luaFiles(scratch)) {
        if (!f.source.includes("'pg'")) continue;
        writeFileSync(f.path, f.source.replaceAll("'pg'", "'prog'"));
        renamed++;
      }
      expect(renamed).toBeGreaterThan(0);

      const { problems } = registryProblems(scratch);
      const text = problems.join('\n');
      expect(text).toMatch(/writes job field "zz", not in JobField/);
      expect(text).toMatch(/writes meta field "newSetting:<G>", not in MetaField/);
      expect(text).toMatch(/HDEL jobKey unknownField: which field is it\?/);
      expect(text).toMatch(/HSET on base \.\. 'mystery': which hash is it\?/);
      expect(text).toMatch(/writes job field "prog", not in JobField/);
      expect(text).toMatch(/JobField "pg": no script writes it/);
      expect(problems).toHaveLength(6);
    });
  });
});
