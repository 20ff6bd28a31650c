// The header contract of each Lua script (rules 1-3 of lua/README.md, "The header contract") must
// match the code around it: the keys the generated module and the wrappers use, the ARGV the
// wrappers pass and the body reads; and the include mechanism must fail loudly, include what you
// use included. Runs the wrappers against a real Redis to see what they actually send.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { luaScripts } from '../../src/generated/lua.js';
import { queueKeys } from '../../src/redis/keys.js';
import { registerScripts } from '../../src/redis/script-registry.js';
import { Scripts } from '../../src/redis/scripts.js';
import { ControlScripts } from '../../src/redis/control-scripts.js';
import { flushArgs } from '../../src/metrics/flush-args.js';
import { emptyCounts } from '../../src/metrics/recorder.js';
import { useRedis } from '../helpers/setup.js';
import { useRawClients } from '../helpers/tools.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const luaDir = join(root, 'lua');
const ops = readdirSync(luaDir)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => f.replace(/\.lua$/, ''))
  .sort();

interface Header {
  keys: { index: number; name: string }[];
  argv: { index: number; name: string; variadic: boolean; stride?: number }[];
  body: string;
}

const WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9 };

/** Parses the --[[ ]] header independently of lua/compile.mjs. */
function parseHeader(op: string): Header {
  const source = readFileSync(join(luaDir, `${op}.lua`), 'utf8');
  const m = /^--\[\[([\s\S]*?)\]\]/.exec(source);
  if (!m) throw new Error(`${op}.lua has no header`);
  const keys = [...m[1]!.matchAll(/^\s*KEYS\[(\d+)\]\s+(\w+)/gm)].map((k) => ({ index: Number(k[1]), name: k[2]! }));
  const argv = [...m[1]!.matchAll(/^\s*ARGV\[(\d+)(\.\.)?\]\s+(\w+)(.*)$/gm)].map((a) => {
    const variadic = a[2] === '..';
    let stride: number | undefined;
    if (variadic) {
      const per = /\b(\w+) per \w+/.exec(a[4]!);
      if (per) stride = WORDS[per[1]!.toLowerCase()] ?? Number(per[1]);
      else if (a[3] === 'pairs' || /\bpairs\b/.test(a[4]!)) stride = 2;
    }
    return { index: Number(a[1]), name: a[3]!, variadic, stride };
  });
  return { keys, argv, body: source.slice(m[0].length) };
}

const headers = Object.fromEntries(ops.map((op) => [op, parseHeader(op)])) as Record<string, Header>;

/** name = KEYS[i] pairs from the body: table fields and (multi-)assignments. */
function keyAliases(body: string): Map<number, string> {
  const aliases = new Map<number, string>();
  for (const m of body.matchAll(/(\w+)\s*=\s*KEYS\[(\d+)\]/g)) aliases.set(Number(m[2]), m[1]!);
  for (const m of body.matchAll(/local\s+([\w\s,]+?)\s*=\s*([^\n]+)/g)) {
    const names = m[1]!.split(',').map((s) => s.trim());
    const values = m[2]!.split(',').map((s) => s.trim());
    if (names.length < 2) continue;
    names.forEach((name, i) => {
      const k = /^KEYS\[(\d+)\]$/.exec(values[i] ?? '');
      if (k) aliases.set(Number(k[1]), name);
    });
  }
  return aliases;
}

describe('Lua script headers', () => {
  it('there are scripts, each with a header that lists its KEYS and ARGV', () => {
    expect(ops.length).toBeGreaterThanOrEqual(10);
    expect(Object.keys(luaScripts).sort()).toEqual(ops);
    for (const op of ops) {
      expect(headers[op]!.keys.length, op).toBeGreaterThan(0);
      expect(headers[op]!.argv.length, op).toBeGreaterThan(0);
    }
  });

  it.each(ops)('%s: KEYS in the header match the generated module, numbered 1..n', (op) => {
    const { keys } = headers[op]!;
    expect(keys.map((k) => k.index)).toEqual(keys.map((_, i) => i + 1));
    expect(keys.map((k) => k.name)).toEqual([...luaScripts[op as keyof typeof luaScripts].keys]);
    expect(new Set(keys.map((k) => k.name)).size).toBe(keys.length);
  });

  it.each(ops)('%s: ARGV in the header is contiguous from 1, a variadic tail last', (op) => {
    const { argv } = headers[op]!;
    expect(argv.map((a) => a.index)).toEqual(argv.map((_, i) => i + 1));
    const variadic = argv.filter((a) => a.variadic);
    expect(variadic.length).toBeLessThanOrEqual(1);
    if (variadic.length) {
      expect(argv[argv.length - 1]!.variadic).toBe(true);
      expect(variadic[0]!.stride, `${op}: say how many values per item ("five per job", "pairs")`).toBeGreaterThan(0);
    }
    const fixed = argv.filter((a) => !a.variadic).map((a) => a.name);
    expect(fixed).toEqual([...luaScripts[op as keyof typeof luaScripts].argv]);
  });

  it.each(ops)('%s: the body reads only the KEYS and ARGV its header declares, under the same names', (op) => {
    const { keys, argv, body } = headers[op]!;
    for (const m of body.matchAll(/KEYS\[(\d+)\]/g)) expect(Number(m[1]), `${op}: KEYS[${m[1]}]`).toBeLessThanOrEqual(keys.length);
    const fixedCount = argv.filter((a) => !a.variadic).length;
    const tail = argv.find((a) => a.variadic);
    for (const m of body.matchAll(/ARGV\[(\d+)\]/g)) expect(Number(m[1]), `${op}: ARGV[${m[1]}]`).toBeLessThanOrEqual(fixedCount);
    // a key aliased to a local carries the header's name (streamKey or stream = KEYS[1] for "stream")
    for (const [index, alias] of keyAliases(body)) {
      expect(alias.replace(/Key$/, ''), `${op}: KEYS[${index}] aliased as ${alias}`).toBe(keys[index - 1]?.name);
    }
    // loops over the variadic tail start where the header says and step by its stride
    const loops = [
      ...[...body.matchAll(/for\s+\w+\s*=\s*(\d+)\s*,\s*#ARGV\s*,\s*(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]),
      ...[...body.matchAll(/for\s+\w+\s*=\s*#ARGV\s*-\s*\d+\s*,\s*(\d+)\s*,\s*-(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]),
    ];
    if (tail) {
      expect(loops.length, `${op}: a loop over ARGV[${tail.index}..]`).toBeGreaterThan(0);
      for (const loop of loops) expect(loop, op).toEqual([tail.index, tail.stride]);
    } else {
      expect(loops, op).toEqual([]);
    }
  });

  it('every script is called by a wrapper in src/redis/scripts.ts (or control-scripts.ts), and every wrapper calls a script', () => {
    const source = ['scripts.ts', 'control-scripts.ts'].map((f) => readFileSync(join(root, 'src', 'redis', f), 'utf8')).join('\n');
    const called = new Set([...source.matchAll(/this\.run\(\s*'([\w-]+)'/g)].map((m) => m[1]!));
    for (const op of ops) expect(source.includes(`'${op}'`), `${op} has no wrapper`).toBe(true);
    expect([...called].sort()).toEqual(ops);
  });
});

describe('the wrappers send what the headers declare', () => {
  const t = useRedis();
  const raw = useRawClients(() => t.url);

  it('each wrapper passes the header KEYS and a well-formed ARGV', async () => {
    const client = raw();
    registerScripts(client);
    const byName = new Map(Object.entries(luaScripts).map(([op, s]) => [s.name as string, op]));
    const calls: { op: string; args: unknown[] }[] = [];
    // records each script call on its way to the real Redis
    const recording = new Proxy(client, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== 'function') return value;
        if (typeof prop === 'string' && byName.has(prop)) {
          return (...args: unknown[]) => {
            calls.push({ op: byName.get(prop)!, args });
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    }) as Redis;
    const scripts = new Scripts(recording, queueKeys(t.newPrefix(), 'hdr'));
    const config = JSON.stringify({ leaseMs: 1000, maxStalls: 1, keepFailed: [10, -1] });
    const item = (id: string) => ({ id, name: 'n', data: '{}', opts: '{}', schedule: '' });
    await scripts.enqueue([item(''), item('')]);
    await scripts.lease('default', 'c', 'nonce', 2, config);
    await scripts.complete('default', 'c', 'nonce2', 1, config, [
      { id: '1', token: 'x', returnvalue: '1', keep: [1, -1] },
      { id: '2', token: 'y', returnvalue: '2', keep: [1, -1] },
    ]);
    await scripts.fail('default', '3', 'tok', { retry: false, delayMs: 0, reason: 'r', stack: '[]', keep: [1, -1] });
    await scripts.extend('default', 1000, [
      ['1', 'a'],
      ['2', 'b'],
    ]);
    await scripts.release('default', true, [
      ['1', 'a'],
      ['2', 'b'],
    ]);
    await scripts.nextDue('default');
    await scripts.progress('default', '1', 'tok', '5');
    await scripts.log('billing', '1', 'tok', 'line', 10);
    await scripts.createGroup('billing', '$');
    await scripts.rateLimit('billing', 10, ['1', 'tok']);
    await scripts.removeGroup('billing', 10, true);
    await scripts.setPartitions(0);
    await scripts.setPaused('default', true);
    await scripts.setPaused('default', false);
    await scripts.removeJob('default', '9');
    await scripts.retryJob('default', '9', 'failed');
    await scripts.changeDelay('default', '9', 10);
    const controls = new ControlScripts(recording, scripts.keys);
    await controls.updateData('default', '9', '{}');
    await controls.changePriority('default', '9', 3, false, 100);
    await controls.cancelJob('default', '9', 'stop');
    await controls.addFlow([scripts.keys.base], 'commit', scripts.keys.flowHeld('f1'), [
      1,
      '',
      'parent',
      '{}',
      '{}',
      '',
      '',
      'f',
      1,
      1,
      '',
      'child',
      '{}',
      '{}',
      '',
      'n:1',
      'f',
      0,
    ]);
    await controls.placeFlow(scripts.keys.flowHeld('f1'), 10);
    for (const part of ['prio', 'wait', 'stream', 'retry', 'delayed'] as const) {
      await controls.cleanWaiting('default', part, Date.now(), { batch: 10, offset: 0, listCap: 100, sofar: 0, announce: 1 });
    }
    await scripts.upsertScheduler('s1', '{"every":1000}', '{"name":"n","data":"1","opts":"{}"}', Date.now());
    await scripts.fireScheduler('s1', 0, -1, false, 'repeat:s1:0');
    await scripts.removeScheduler('s1');
    await scripts.retryJobs('default', 'failed', Date.now(), 10);
    await scripts.promoteJobs('default', 10);
    await scripts.drain('default', 10, true);
    await scripts.clean('default', 'completed', Date.now(), 10);
    await scripts.obliterate(10, true);
    await scripts.setPartitions(0);
    await scripts.reserveStarts('default', 'nonce3', 2, ['nonce.1']);
    await scripts.recordMetrics('default', '', flushArgs(emptyCounts(), undefined));

    expect([...new Set(calls.map((c) => c.op))].sort()).toEqual(ops);
    for (const { op, args } of calls) {
      const header = headers[op]!;
      const script = luaScripts[op as keyof typeof luaScripts];
      const keys = args.slice(0, header.keys.length);
      const argv = args.slice(header.keys.length);
      // keys are the queue's, in the header's order, all in one slot
      expect(
        keys.every((k) => typeof k === 'string' && k.includes('{hdr}')),
        op,
      ).toBe(true);
      expect(script.keys.length, op).toBe(header.keys.length);
      for (const [i, name] of header.keys.map((k) => k.name).entries()) {
        // the key's own name ends like the header says (…:stream, …:g:default:active, job:<id>…)
        const key = String(keys[i]);
        const last = key.slice(key.lastIndexOf(':') + 1);
        const ok =
          last === name ||
          ['job', 'set', 'from'].includes(name) ||
          (name === 'logs' && key.includes(':logs:')) ||
          (name === 'scheduler' && key.includes(':scheduler:')) ||
          (name === 'held' && key.includes(':flow:')) ||
          (name === 'worker' && key.includes(':worker:'));
        expect(ok, `${op}: KEYS[${i + 1}] ${name} got ${key}`).toBe(true);
      }
      const fixed = header.argv.filter((a) => !a.variadic).length;
      const tail = header.argv.find((a) => a.variadic);
      if (!tail) expect(argv.length, `${op}: ARGV count`).toBe(fixed);
      else {
        expect(argv.length, `${op}: ARGV count`).toBeGreaterThanOrEqual(fixed);
        expect((argv.length - fixed) % tail.stride!, `${op}: ARGV tail of ${tail.stride} per item`).toBe(0);
      }
      expect(
        argv.every((a) => typeof a === 'string' || typeof a === 'number'),
        op,
      ).toBe(true);
    }
  });
});

describe('lua/compile.mjs', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** A copy of lua/ in a temp dir; compile.mjs writes ../src/generated/lua.ts relative to itself. */
  function sandbox(): { lua: string; out: string; run(): { status: number | null; stderr: string; stdout: string } } {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-compile-'));
    dirs.push(dir);
    const lua = join(dir, 'lua');
    cpSync(luaDir, lua, { recursive: true });
    return {
      lua,
      out: join(dir, 'src', 'generated', 'lua.ts'),
      run: () => {
        const r = spawnSync(process.execPath, [join(lua, 'compile.mjs')], { encoding: 'utf8' });
        return { status: r.status, stderr: r.stderr, stdout: r.stdout };
      },
    };
  }

  it('compiles a copy of lua/ into the same module as src/generated/lua.ts (the generated file is fresh)', () => {
    const box = sandbox();
    const r = box.run();
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(box.out, 'utf8')).toBe(readFileSync(join(root, 'src', 'generated', 'lua.ts'), 'utf8'));
  });

  it('inlines each include once and leaves no @include line behind', () => {
    for (const op of ops) {
      const lua = luaScripts[op as keyof typeof luaScripts].lua;
      expect(lua, op).not.toMatch(/^--\s*@include/m);
      for (const m of lua.matchAll(/^local function (\w+)\(/gm)) {
        const count = [...lua.matchAll(new RegExp(`^local function ${m[1]}\\(`, 'gm'))].length;
        expect(count, `${op}: ${m[1]} defined ${count} times`).toBe(1);
      }
    }
  });

  it('fails loudly on a missing include', () => {
    const box = sandbox();
    writeFileSync(
      join(box.lua, 'broken.lua'),
      '--[[\n  broken\n\n  KEYS[1] k   a key\n\n  ARGV[1] a   an arg\n]]\n-- @include doesNotExist\nreturn 1\n',
    );
    const r = box.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('missing include "doesNotExist"');
    expect(r.stderr).toContain('broken.lua');
  });

  it('fails loudly on a circular include', () => {
    const box = sandbox();
    mkdirSync(join(box.lua, 'includes'), { recursive: true });
    writeFileSync(join(box.lua, 'includes', 'ping.lua'), '-- @include pong\nlocal function ping() end\n');
    writeFileSync(join(box.lua, 'includes', 'pong.lua'), '-- @include ping\nlocal function pong() end\n');
    writeFileSync(
      join(box.lua, 'loop.lua'),
      '--[[\n  loop\n\n  KEYS[1] k   a key\n\n  ARGV[1] a   an arg\n]]\n-- @include ping\nreturn 1\n',
    );
    const r = box.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('circular include');
    expect(r.stderr).toMatch(/ping -> pong -> ping/);
  });

  it('fails loudly on a name used without its include, and on an include not used (include what you use)', () => {
    const box = sandbox();
    writeFileSync(join(box.lua, 'includes', 'alpha.lua'), 'local ALPHA_MAX = 3\nlocal function alpha() return ALPHA_MAX end\n');
    writeFileSync(join(box.lua, 'includes', 'beta.lua'), '-- @include alpha\nlocal function beta() return alpha() end\n');
    const script = (body: string) => `--[[\n  iwyu\n\n  KEYS[1] k   a key\n\n  ARGV[1] a   an arg\n]]\n${body}`;
    // alpha arrives through beta only
    writeFileSync(join(box.lua, 'iwyu.lua'), script('-- @include beta\nreturn beta() + alpha()\n'));
    let r = box.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('lua/iwyu.lua uses alpha (lua/includes/alpha.lua) without "-- @include alpha"');
    // a constant counts too; a name the file declares itself (a parameter) is its own
    writeFileSync(
      join(box.lua, 'iwyu.lua'),
      script('-- @include beta\nlocal function f(alpha) return alpha end\nreturn beta() + f(1) + ALPHA_MAX\n'),
    );
    r = box.run();
    expect(r.stderr).toContain('lua/iwyu.lua uses ALPHA_MAX (lua/includes/alpha.lua)');
    expect(r.stderr).not.toContain('uses alpha ');
    // an include nothing is used of
    writeFileSync(join(box.lua, 'iwyu.lua'), script('-- @include alpha\n-- @include beta\nreturn beta()\n'));
    r = box.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('lua/iwyu.lua includes alpha but uses nothing of it');
    // comments and strings are not uses
    writeFileSync(join(box.lua, 'iwyu.lua'), script("-- @include beta\n-- alpha() is beta's\nreturn beta() .. 'alpha()'\n"));
    r = box.run();
    expect(r.status, r.stderr).toBe(0);
  });

  it('fails loudly on a missing header or KEYS out of order', () => {
    const box = sandbox();
    writeFileSync(join(box.lua, 'noheader.lua'), 'return 1\n');
    let r = box.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('noheader.lua: missing the --[[ ... ]] header');
    rmSync(join(box.lua, 'noheader.lua'));
    writeFileSync(join(box.lua, 'order.lua'), '--[[\n  order\n\n  KEYS[2] b   b\n  KEYS[1] a   a\n\n  ARGV[1] x   x\n]]\nreturn 1\n');
    r = box.run();
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('out of order');
  });
});
