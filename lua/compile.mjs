// Compiles lua/*.lua into src/generated/lua.ts: resolves `-- @include name` lines from
// lua/includes/, reads the KEYS contract from each header, and names each command after a
// hash of its final text so that two SDK versions on one Redis never call each other's scripts.
// Every script starts with a `#!lua` shebang (Redis >= 7): Redis then checks the script's flags
// before it runs. Without flags, a script is refused whole while Redis is out of memory (never
// half-applied); a header line `FLAGS allow-oom` marks the scripts that free memory or keep it
// level (acks, fails, hand-backs, renewals, removals), which must run then, or a full Redis
// could never be drained.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inlineConstants } from './constants.mjs';
import { inlineKeyNames } from './key-names.mjs';
import { declaredNames, lazyFunctions } from './lazy.mjs';
import { pruneUnreached } from './prune.mjs';

const luaDir = dirname(fileURLToPath(import.meta.url));
const outFile = join(luaDir, '..', 'src', 'generated', 'lua.ts');

function resolveIncludes(text, from, seen, stack) {
  return text.replace(/^--\s*@include\s+(\S+)\s*$/gm, (_, name) => {
    if (stack.includes(name)) throw new Error(`${from}: circular include ${[...stack, name].join(' -> ')}`);
    if (seen.has(name)) return `-- (${name} already included)`;
    let body;
    try {
      body = readFileSync(join(luaDir, 'includes', `${name}.lua`), 'utf8');
    } catch {
      throw new Error(`${from}: missing include "${name}" (expected lua/includes/${name}.lua)`);
    }
    seen.add(name);
    return resolveIncludes(body, `includes/${name}.lua`, seen, [...stack, name]);
  });
}

// Comments are for readers of lua/: Redis is sent the code only (every SCRIPT LOAD carries the
// text, and so does the published module). A whole-line comment or a --[[ ]] block that starts a
// line becomes empty lines, so the line numbers in Redis's error messages still count lines of
// the text compiled here; comments after code stay. (No script has a multi-line string.)
function stripComments(lua, file) {
  // a long string ([[…]] or [=[…]=]) in code could hold lines that look like comments: refuse it
  // rather than strip inside it (long brackets after -- are comments, handled below)
  if (/(^|[^-])\[=*\[/m.test(lua.replace(/--\[=*\[/g, ''))) {
    throw new Error(`${file}: a Lua long string ([[ ]]): compile.mjs strips comments line by line and cannot tell; use a quoted string`);
  }
  return lua.replace(/^[ \t]*--\[(=*)\[[\s\S]*?\]\1\]/gm, (block) => block.replace(/[^\n]/g, '')).replace(/^[ \t]*--.*$/gm, '');
}

// Include what you use (lua/README.md): a file (script or include) that uses a name an include
// defines at its top level (a function, a constant, a module table such as Key) names that
// include itself in an `-- @include` line, rather than getting it through another include; and
// it includes nothing it does not use. Comments and string literals are left out of the look;
// a name the file declares itself (a local, a parameter) is its own.
const INCLUDE_LINE = /^--\s*@include\s+(\S+)\s*$/gm;

function codeOnly(lua) {
  return lua.replace(/--\[(=*)\[[\s\S]*?\]\1\]|--[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (m) =>
    m.startsWith('--') ? ' ' : "''",
  );
}

/** Names a file declares at its top level (column 0): local functions, locals, and a module table's functions. */
function topLevelNames(code) {
  const names = new Set();
  for (const m of code.matchAll(/^local\s+function\s+(\w+)/gm)) names.add(m[1]);
  for (const m of code.matchAll(/^local\s+(?!function\b)([\w\s,]+?)\s*(?:=|$)/gm)) {
    for (const name of m[1].split(',')) names.add(name.trim());
  }
  return names;
}

/** Names declared anywhere in a file: locals, function parameters, loop variables. */
function ownNames(code) {
  return new Set([...topLevelNames(code), ...declaredNames(code)]);
}

function checkIncludes(files) {
  // the include that defines each top-level name
  const definedIn = new Map();
  for (const [name, file] of files) {
    if (!name.startsWith('includes/')) continue;
    for (const def of topLevelNames(file.code)) {
      const other = definedIn.get(def);
      if (other && other !== name) throw new Error(`lua/${name}.lua: ${def} is defined in lua/${other}.lua too`);
      definedIn.set(def, name);
    }
  }
  const problems = [];
  for (const [name, file] of files) {
    const own = ownNames(file.code);
    const direct = new Set(file.includes.map((i) => `includes/${i}`));
    const used = new Set();
    // (a name followed by `=` is assigned or a table field, not a use)
    for (const m of file.code.matchAll(/(?<![.:\w])([A-Za-z_]\w*)(?!\s*=(?!=))/g)) {
      const provider = definedIn.get(m[1]);
      if (!provider || provider === name || own.has(m[1])) continue;
      used.add(provider);
      const problem = `lua/${name}.lua uses ${m[1]} (lua/${provider}.lua) without "-- @include ${provider.slice('includes/'.length)}"`;
      if (!direct.has(provider) && !problems.includes(problem)) problems.push(problem);
    }
    for (const include of direct) {
      if (!used.has(include)) problems.push(`lua/${name}.lua includes ${include.slice('includes/'.length)} but uses nothing of it`);
    }
  }
  if (problems.length) throw new Error(`include what you use (lua/README.md):\n  ${problems.join('\n  ')}`);
}

/** Every file a compile reads: the scripts and the includes they reach, by name ("lease", "includes/keys"). */
function readAll(scriptFiles) {
  const files = new Map();
  const visit = (name, path) => {
    if (files.has(name)) return;
    const text = readFileSync(path, 'utf8');
    const includes = [...text.matchAll(INCLUDE_LINE)].map((m) => m[1]);
    files.set(name, { code: codeOnly(text), includes });
    for (const include of includes) {
      const includePath = join(luaDir, 'includes', `${include}.lua`);
      try {
        visit(`includes/${include}`, includePath);
      } catch (e) {
        if (e.code !== 'ENOENT') throw e; // a missing include is reported by resolveIncludes
      }
    }
  };
  for (const file of scriptFiles) visit(file.replace(/\.lua$/, ''), join(luaDir, file));
  return files;
}

export function compile() {
  const scripts = {};
  const scriptFiles = readdirSync(luaDir)
    .filter((f) => f.endsWith('.lua'))
    .sort();
  for (const file of scriptFiles) {
    const source = readFileSync(join(luaDir, file), 'utf8');
    const header = source.match(/^--\[\[([\s\S]*?)\]\]/);
    if (!header) throw new Error(`${file}: missing the --[[ ... ]] header contract`);
    const keys = [...header[1].matchAll(/^\s*KEYS\[(\d+)\]\s+(\w+)/gm)].map((m, i) => {
      if (Number(m[1]) !== i + 1) throw new Error(`${file}: KEYS[${m[1]}] out of order in header`);
      return m[2];
    });
    const argv = [...header[1].matchAll(/^\s*ARGV\[(\d+)\]\s+(\w+)/gm)].map((m) => m[2]);
    // (argv: the names of the fixed ARGV, in order; a variadic tail is ARGV[n..])
    const flags = header[1].match(/^\s*FLAGS\s+([a-z-]+(?:,[a-z-]+)*)/m)?.[1];
    const shebang = flags ? `#!lua flags=${flags}\n` : '#!lua\n';
    // Key names built inside a script come from the prefix in ARGV (base, or a group's records
    // prefix): it must be the prefix of the declared KEYS[1], or the script would reach keys of
    // another queue (another slot on a cluster). Checked before anything runs.
    const prefixArg = argv.findIndex((name) => name === 'base' || name === 'records') + 1;
    const guard =
      prefixArg > 0 && keys.length > 0
        ? `if string.sub(KEYS[1], 1, #ARGV[${prefixArg}]) ~= ARGV[${prefixArg}] then ` +
          `return redis.error_reply('ERR sluice: key prefix ' .. ARGV[${prefixArg}] .. ' is not the prefix of ' .. KEYS[1]) end\n`
        : '';
    // Invariant 11 (docs/invariants.md): a script that reads the queue's settings (meta) reads
    // them before its first write, whatever path it takes: the cached read is made right
    // after its includes, for its group (its events are its group's; without one, default's).
    const baseArg = argv.indexOf('base') + 1;
    const groupArg = argv.indexOf('group') + 1;
    let body = source;
    const lastInclude = [...source.matchAll(/^--\s*@include\s+\S+\s*$/gm)].pop();
    if (baseArg > 0 && lastInclude && resolveIncludes(source, file, new Set(), []).includes('local function queueSettings(')) {
      const at = lastInclude.index + lastInclude[0].length;
      const read = `queueSettings(ARGV[${baseArg}], ${groupArg > 0 ? `ARGV[${groupArg}]` : "'default'"})`;
      body = `${source.slice(0, at)}\n${read} -- settings before the first write (invariant 11)${source.slice(at)}`;
    }
    const code = inlineConstants(inlineKeyNames(stripComments(resolveIncludes(body, file, new Set(), []), file), file));
    const lua = shebang + guard + lazyFunctions(pruneUnreached(code));
    const op = file.replace(/\.lua$/, '');
    const hash = createHash('sha1').update(lua).digest('hex').slice(0, 10);
    scripts[op] = { name: `sluice_${op.replace(/-/g, '_')}_${hash}`, keys, argv, lua };
  }
  checkIncludes(readAll(scriptFiles));
  return scripts;
}

const scripts = compile();
mkdirSync(dirname(outFile), { recursive: true });
// Typed as plain strings, not `as const`: the declaration file then stays a few lines long
// (with `as const` every script's whole text became a string-literal type in lua.d.ts).
const names = Object.keys(scripts);
writeFileSync(
  outFile,
  `// Generated by lua/compile.mjs from lua/*.lua. Do not edit.\n` +
    `export type ScriptName =\n${names.map((n) => `  | ${JSON.stringify(n)}`).join('\n')};\n\n` +
    `export interface LuaScript {\n` +
    `  /** The ioredis command name: the script's name and a hash of its text. */\n` +
    `  readonly name: string;\n` +
    `  /** KEYS names in header order. */\n` +
    `  readonly keys: readonly string[];\n` +
    `  /** Names of the fixed ARGV, in order (a variadic tail is not listed). */\n` +
    `  readonly argv: readonly string[];\n` +
    `  readonly lua: string;\n` +
    `}\n\n` +
    `export const luaScripts: Readonly<Record<ScriptName, LuaScript>> = ${JSON.stringify(scripts, null, 2)};\n`,
);
console.log(`lua: compiled ${Object.keys(scripts).length} scripts into src/generated/lua.ts`);
