// The ACL rule sets of docs/production.md cannot drift from the code: every command a Lua script
// calls is allowed by both documented lines (both roles run scripts), every command sluice sends
// itself is allowed by a line or named among the optional rules, every command ioredis's Cluster
// client asks the nodes is in the Cluster rules, and each rule of the lines is used by
// something. Needs no Redis: it reads lua/**/*.lua, src/**/*.ts and ioredis's code as text.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { aclSection, allowedCommands, allows, documentedRules } from '../helpers/acl-rules.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);

/** Commands whose first argument is a subcommand that ACL rules name on its own (`+xgroup|create`). */
const CONTAINERS = new Set(['XGROUP', 'XINFO', 'CLIENT', 'CONFIG', 'CLUSTER', 'OBJECT', 'MEMORY', 'SCRIPT', 'FUNCTION', 'SLOWLOG', 'ACL']);

interface Call {
  command: string;
  sub?: string;
  where: string;
}

function files(dir: string, ext: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'generated') files(path, ext, out);
    } else if (name.endsWith(ext)) out.push(path);
  }
  return out;
}

/** Lua code with its comments blanked (strings kept, so that command names stay readable). */
function luaCode(text: string): string {
  return text.replace(/--\[(=*)\[[\s\S]*?\]\1\]|--[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (m) =>
    m.startsWith('--') ? m.replace(/[^\n]/g, ' ') : m,
  );
}

const STR = `'([A-Za-z_]+)'|"([A-Za-z_]+)"`;
/** `redis.call('CMD', 'SUB'` and `pcall(redis.call, 'CMD', 'SUB'`: the command and what follows it. */
const LITERAL = new RegExp(`^(?:redis\\.p?call\\(|pcall\\(\\s*redis\\.p?call\\s*,)\\s*(?:${STR})(?:\\s*,\\s*(?:${STR}))?`);
/** `redis.call(unpack(args))`: the command is the first element of the table `args`. */
const UNPACKED = /^redis\.p?call\(\s*unpack\(\s*([A-Za-z_]\w*)\s*\)\s*\)/;

/**
 * Every command `code` (one Lua file, comments blanked) calls through redis.call/pcall, and the
 * calls it could not read: the scan skips none, so a new way of calling fails the test until
 * it is taught here.
 */
function luaCalls(code: string, file: string): { calls: Call[]; unreadable: string[] } {
  const calls: Call[] = [];
  const unreadable: string[] = [];
  const call = (where: string, command: string, sub: string | undefined) => {
    const upper = command.toUpperCase();
    if (CONTAINERS.has(upper) && sub === undefined) unreadable.push(`${where}: ${upper} without a literal subcommand`);
    else calls.push({ command: upper, sub: CONTAINERS.has(upper) ? sub?.toUpperCase() : undefined, where });
  };
  for (const m of code.matchAll(/(?:\bpcall\(\s*)?redis\.p?call\b/g)) {
    const at = m.index;
    const where = `${file}:${code.slice(0, at).split('\n').length}`;
    const rest = code.slice(at);
    const literal = LITERAL.exec(rest);
    const unpacked = UNPACKED.exec(rest);
    if (literal) call(where, (literal[1] ?? literal[2])!, literal[3] ?? literal[4]);
    else if (unpacked) {
      // every table of that name in the file must start with literal command names
      const tables = [...code.matchAll(new RegExp(`\\b${unpacked[1]}\\s*=\\s*\\{\\s*(?:${STR})(?:\\s*,\\s*(?:${STR}))?`, 'g'))];
      if (tables.length === 0) unreadable.push(`${where}: unpack(${unpacked[1]}) of no table { 'COMMAND', … } in the file`);
      for (const t of tables) call(where, (t[1] ?? t[2])!, t[3] ?? t[4]);
    } else unreadable.push(`${where}: ${rest.split('\n')[0]!.slice(0, 80)}`);
  }
  return { calls, unreadable };
}

function scanLua(): { calls: Call[]; unreadable: string[] } {
  const all = { calls: [] as Call[], unreadable: [] as string[] };
  for (const path of files(join(root, 'lua'), '.lua')) {
    const found = luaCalls(luaCode(readFileSync(path, 'utf8')), relative(root, path));
    all.calls.push(...found.calls);
    all.unreadable.push(...found.unreadable);
  }
  return all;
}

/** TypeScript with its comments blanked (strings kept). */
function tsCode(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g, (m) =>
    m.startsWith('/') ? m.replace(/[^\n]/g, ' ') : m,
  );
}

/**
 * Method names that are ioredis commands but, in src/, are JavaScript's or sluice's own methods
 * (Array.sort, Map.keys, hash.digest, logger.debug, worker.shutdown, and the DOM's append in
 * the dashboard's page script): not Redis calls.
 */
const NOT_REDIS = new Set(['sort', 'keys', 'digest', 'debug', 'shutdown', 'append']);

/**
 * What src/ sends itself: `.call('CMD', 'SUB')`, `.client('SUB')`, and ioredis's typed command
 * methods (`client.zrank(…)`: a method named after a Redis command).
 */
function scanSrc(): Call[] {
  const { list } = require('@ioredis/commands') as { list: string[] };
  const names = new Set(list);
  const calls: Call[] = [];
  for (const path of files(join(root, 'src'), '.ts')) {
    const code = tsCode(readFileSync(path, 'utf8'));
    const file = relative(root, path);
    const line = (at: number) => `${file}:${code.slice(0, at).split('\n').length}`;
    for (const m of code.matchAll(/\.call\(\s*'([A-Za-z_]+)'(?:\s*,\s*'([A-Za-z_-]+)')?/g)) {
      const command = m[1]!.toUpperCase();
      calls.push({ command, sub: CONTAINERS.has(command) ? m[2]?.toUpperCase() : undefined, where: line(m.index) });
    }
    for (const m of code.matchAll(/\.client\(\s*'([A-Za-z_-]+)'/g))
      calls.push({ command: 'CLIENT', sub: m[1]!.toUpperCase(), where: line(m.index) });
    // (getBuffer, hgetallBuffer: the same command, with Buffer replies)
    for (const m of code.matchAll(/\.([a-z_]+?)(?:Buffer)?\(/g)) {
      const name = m[1]!;
      if (!names.has(name) || NOT_REDIS.has(name) || name === 'call' || name === 'client') continue;
      calls.push({ command: name.toUpperCase(), where: line(m.index) });
    }
  }
  return calls;
}

/** What ioredis's Cluster client sends the nodes by itself: `.cluster("SUB")`, and `.asking()`. */
function scanIoredisCluster(): Call[] {
  const dir = join(dirname(require.resolve('ioredis')), 'cluster');
  const calls: Call[] = [];
  for (const path of files(dir, '.js')) {
    const code = readFileSync(path, 'utf8');
    for (const m of code.matchAll(/\.cluster\(\s*"([A-Za-z]+)"/g))
      calls.push({ command: 'CLUSTER', sub: m[1]!.toUpperCase(), where: path });
    for (const m of code.matchAll(/\.asking\(\)/g)) calls.push({ command: 'ASKING', where: `${path}@${m.index}` });
  }
  return calls;
}

/** Commands Redis lets every connection send (flag no_auth): they need no rule. */
const NO_RULE_NEEDED = new Set(['AUTH', 'HELLO', 'QUIT']);
/** Rules the lines carry for what ioredis sends when it connects (the scans of src/ do not see it). */
const CONNECTION_SETUP = new Set(['info', 'client|setname']);

const name = (c: Call) => (c.sub ? `${c.command} ${c.sub}` : c.command);
const list = (calls: Call[]) => [...new Set(calls.map((c) => `${name(c)} (${c.where})`))].sort();

/** The `+rule`s the section names in backticks outside the ACL SETUSER lines (the optional rules). */
function optionalRules(): Set<string> {
  const prose = aclSection()
    .split('\n')
    .filter((l) => !l.startsWith('ACL SETUSER'))
    .join('\n');
  return new Set([...prose.matchAll(/`\+([a-z_]+(?:\|[a-z_-]+)?)`/g)].map((m) => m[1]!));
}

describe('documented ACL rules (docs/production.md)', () => {
  const producer = allowedCommands(documentedRules('sluice-producer'));
  const worker = allowedCommands(documentedRules('sluice-worker'));
  const lua = scanLua();

  it('the Lua scan reads every redis.call and redis.pcall, whatever its form', () => {
    expect(lua.unreadable).toEqual([]);
    // the scan finds the forms it must: a plain call, a pcall(redis.call, …) and an unpacked table
    const found = new Set(lua.calls.map(name));
    for (const c of ['LSET', 'XGROUP DESTROY', 'XGROUP CREATE', 'XINFO GROUPS', 'XADD', 'BITFIELD']) expect(found).toContain(c);
    // and it refuses what it cannot read rather than skip it
    const odd = luaCalls("local c = redis.call\nc('DEL', k)\nredis.call(cmd, k)\nredis.pcall('XINFO', x)\n", 'snippet');
    expect(odd.unreadable).toHaveLength(3);
  });

  it('both lines allow every command the Lua scripts call (Redis checks each call of a script)', () => {
    expect(list(lua.calls.filter((c) => !allows(producer, c.command, c.sub)))).toEqual([]);
    expect(list(lua.calls.filter((c) => !allows(worker, c.command, c.sub)))).toEqual([]);
  });

  it('every command sluice sends itself is allowed by a line, or named among the optional rules', () => {
    const optional = optionalRules();
    const sent = scanSrc();
    expect(sent.length).toBeGreaterThan(50);
    const missing = sent.filter(
      (c) =>
        !NO_RULE_NEEDED.has(c.command) &&
        !allows(producer, c.command, c.sub) &&
        !allows(worker, c.command, c.sub) &&
        !allows(optional, c.command, c.sub),
    );
    expect(list(missing)).toEqual([]);
  });

  it("the Cluster rules allow what ioredis's Cluster client asks the nodes", () => {
    const asked = scanIoredisCluster();
    expect(asked.map(name)).toContain('CLUSTER SLOTS');
    for (const role of ['sluice-producer', 'sluice-worker'] as const) {
      const rules = allowedCommands(documentedRules(role, { cluster: true }));
      expect(list(asked.filter((c) => !allows(rules, c.command, c.sub)))).toEqual([]);
    }
  });

  it('the lines are the smallest: each rule is used by a script, by src/ or by the connection setup', () => {
    const used = new Set(
      [...lua.calls, ...scanSrc()].flatMap((c) => [c.command.toLowerCase(), `${c.command.toLowerCase()}|${c.sub?.toLowerCase()}`]),
    );
    for (const rule of ['evalsha', 'eval', ...CONNECTION_SETUP]) used.add(rule);
    expect([...worker].filter((rule) => !used.has(rule))).toEqual([]);
    // the producer's line is the worker's less the worker's own commands
    expect([...worker].filter((rule) => !producer.has(rule)).sort()).toEqual(['bzpopmin', 'client|id', 'client|list', 'client|unblock']);
    expect([...producer].filter((rule) => !worker.has(rule))).toEqual([]);
  });
});
