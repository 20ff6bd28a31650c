// What lua/compile.mjs does to keep a script call cheap (lua/README.md, "Cost per call"):
// prune.mjs drops the functions a script never reaches, lazy.mjs makes the others on first use.
// Each case compiles a copy of lua/ with a script of its own and runs the result on Redis.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { luaScripts } from '../../src/generated/lua.js';
import { useRedis } from '../helpers/setup.js';
import { useRawClients } from '../helpers/tools.js';

const luaDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'lua');
const HEADER = '--[[\n  a test script\n\n  KEYS[1] k   a key\n\n  ARGV[1] a   an arg\n]]\n';

describe('lua/compile.mjs: the cost of a script call', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-script-cost-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Compiles lua/ plus `include` (as includes/extra.lua) and `script` (as probe.lua): the compiled text, or the error. */
  function compileWith(include: string, script: string): { lua?: string; stderr: string } {
    const lua = join(dir, 'lua');
    rmSync(dir, { recursive: true, force: true });
    cpSync(luaDir, lua, { recursive: true });
    writeFileSync(join(lua, 'includes', 'extra.lua'), include);
    writeFileSync(join(lua, 'probe.lua'), `${HEADER}-- @include extra\n${script}`);
    const r = spawnSync(process.execPath, [join(lua, 'compile.mjs')], { encoding: 'utf8' });
    if (r.status !== 0) return { stderr: r.stderr };
    const generated = readFileSync(join(dir, 'src', 'generated', 'lua.ts'), 'utf8');
    const scripts = JSON.parse(generated.slice(generated.indexOf('= {') + 2).replace(/;\s*$/, '')) as Record<string, { lua: string }>;
    return { lua: scripts.probe!.lua, stderr: r.stderr };
  }

  it('drops a top-level function nothing reaches and keeps what is reached', async () => {
    const { lua, stderr } = compileWith(
      'local function used(x)\n  return x + 1\nend\n\nlocal function unused(x)\n  return x - 1\nend\n' +
        'local function reachedByUsed(x) return used(x) * 10 end\nlocal function onlyInComment() return 0 end\n',
      'local v = reachedByUsed(tonumber(ARGV[1])) -- onlyInComment is named here, in a comment\n' +
        "if v > 100 then return redis.error_reply('too big') end\nreturn v\n",
    );
    expect(lua, stderr).toBeDefined();
    expect(lua).toContain("LazyName == 'used'");
    expect(lua).toContain("LazyName == 'reachedByUsed'");
    expect(lua).not.toContain('unused');
    expect(lua).not.toContain("'onlyInComment'");
    expect(await raw().eval(lua!, 1, `${t.prefix}:{x}:k`, '2')).toBe(30);
  });

  it('makes functions on first use, and leaves names in strings, fields and table keys alone', async () => {
    const { lua, stderr } = compileWith(
      [
        'local Box = { count = function(t) return #t end }',
        'local made = 0',
        'local later = false',
        'local function count(t) made = made + 1; return Box.count(t) + 100 end',
        "local function label(x) return 'count' .. ':' .. x end",
        'local function twice(x) return count({ x, x }) end',
        'later = function(x) return twice(x) .. label(x) end',
        'local function shadowed(x) return x end',
        'local function callsShadowed(y) local shadowed = y * 2; return shadowed end',
      ].join('\n'),
      [
        'local fields = { count = 1, label = 2 }',
        'local n = twice(1)',
        'local first = made',
        'twice(2)',
        "return { n, first, made, later('z'), fields.count + fields.label, callsShadowed(4), shadowed(5), label('y')..count({}) }",
      ].join('\n'),
    );
    expect(lua, stderr).toBeDefined();
    // the functions moved into the maker, and uses go through it; the shadowed name stays as it was
    expect(lua).toContain("LazyName == 'count'");
    expect(lua).toMatch(/Lazy\.twice\(1\)/);
    expect(lua).toContain('local function shadowed(');
    const reply = (await raw().eval(lua!, 1, `${t.prefix}:{x}:k`, '1')) as unknown[];
    expect(reply).toEqual([102, 1, 2, '102count:z', 3, 8, 5, 'count:y100']);
  });

  it('refuses a script that uses the name the maker takes', () => {
    const { lua, stderr } = compileWith('local function f() return 1 end\n', 'local Lazy = f()\nreturn Lazy\n');
    expect(lua).toBeUndefined();
    expect(stderr).toContain('reserves');
  });

  it('takes the Key table apart: fixed names become strings, names with a parameter functions made on use', async () => {
    const { lua, stderr } = compileWith(
      '-- @include keys\nlocal function metaOf(base) return base .. Key.meta end\n',
      "-- @include keys\nlocal base = 'q:{x}:'\n" +
        "return { metaOf(base), Key.job(base, ARGV[1]), Key.records(base, 'g1') .. Key.wait, 'Key.meta' }\n",
    );
    expect(lua, stderr).toBeDefined();
    expect(lua).not.toContain('local Key');
    expect(lua).not.toMatch(/\bKey\.(?:job|records|wait)\b/);
    expect(lua).toContain("LazyName == 'Key_job'");
    // a name with a parameter that nothing calls is dropped with the table
    expect(lua).not.toContain('Key_kids');
    const reply = (await raw().eval(lua!, 1, `${t.prefix}:{x}:k`, '7')) as unknown[];
    expect(reply).toEqual(['q:{x}:meta', 'q:{x}:job:7', 'q:{x}:g:g1:wait', 'Key.meta']);
    const wrong = compileWith('-- @include keys\nlocal function f(base) return base .. Key.nosuch end\n', 'return f(ARGV[1])\n');
    expect(wrong.lua).toBeUndefined();
    expect(wrong.stderr).toContain('Key.nosuch is not a name of Key');
  });

  it('writes constants where they are used, and leaves names that are not constants alone', async () => {
    const { lua, stderr } = compileWith(
      [
        'local MAX_THING = 5 -- a cap',
        'local HALF = MAX_THING / 2',
        "local LABEL = 'x'",
        'local MUTABLE = 1',
        'local LIST = { 1, 2 }',
        'local function f(t) MUTABLE = MUTABLE + 1; return MAX_THING + HALF + #LIST + t.MAX_THING + MUTABLE end',
      ].join('\n'),
      "local t = {}\nt['MAX_THING'] = 10\nreturn { f(t), LABEL .. 'MAX_THING', MUTABLE }\n",
    );
    expect(lua, stderr).toBeDefined();
    expect(lua).not.toMatch(/local (MAX_THING|HALF|LABEL) =/);
    expect(lua).toContain('((5) / 2)');
    // assigned again, or not a literal: kept as locals
    expect(lua).toContain('local MUTABLE = 1');
    expect(lua).toContain('local LIST = {');
    const reply = (await raw().eval(lua!, 1, `${t.prefix}:{x}:k`, '1')) as unknown[];
    // 5 + 2.5 + 2 + 10 + 2 = 21.5, returned by Redis as the integer 21
    expect(reply).toEqual([21, 'xMAX_THING', 2]);
  });

  it('makes none of the hot scripts’ functions before the script runs', () => {
    for (const op of ['lease', 'complete', 'enqueue'] as const) {
      const text = luaScripts[op].lua;
      const made = text.slice(0, text.indexOf('setmetatable(Lazy'));
      expect(made, op).not.toMatch(/^local function /m);
      expect(text, op).not.toMatch(/^local Key = /m);
      expect(text, op).not.toMatch(/^local [A-Z][A-Z_]* = \d/m);
      expect([...text.matchAll(/^ {2}(?:if|elseif) LazyName == '/gm)].length, op).toBeGreaterThan(20);
    }
  });
});
