// Makes a compiled script's top-level functions on first use instead of on every call. Redis
// runs a script's whole text each time it is called, and each `local function` at the top is
// made again then (a closure, and the upvalues it captures), called or not: about half of an
// idle lease call was spent so, and more when Redis's caches are cold, as they are at low load
// (lua/README.md, "Cost per call"). Here the functions defined before the script first runs
// one move into a single maker, which builds one the first time code asks for it; each call
// makes that one closure, and then only the functions it runs.
//
//   local function wake(key, at)          Lazy.wake(key, 0)  -- every use, rewritten
//     ...                            →    ...
//   end                                   setmetatable(Lazy, { __index = function(LazyMade, LazyName)
//                                           local LazyFn
//                                           if LazyName == 'wake' then LazyFn = function(key, at)
//                                             ...
//                                           end
//                                           elseif ... end
//                                           LazyMade[LazyName] = LazyFn
//                                           return LazyFn
//                                         end })
// (the maker's own names begin with Lazy, which no script may use: they hide none of the
// script's locals from the bodies)
//
// The maker takes the place of the first top-level statement that names one of the functions
// other than to define one (the script starts to run there), so every top-level local their bodies use is declared
// before it. A function keeps its place and stays as it was when its name is also declared
// elsewhere (a parameter, a local, a second definition): renaming its uses would reach those.
// A use is a name in code (not in a string or comment) not after `.` or `:` (a field) and not
// before `=` (a table field or an assignment).
import { statements } from './prune.mjs';

/** The table the functions are made into (a name no script uses). */
export const LAZY = 'Lazy';

// a string, a comment, or a name (a `..` concatenation before a name is not a field access)
const TOKENS = /--[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|(?<![\w:]|(?<!\.)\.)[A-Za-z_]\w*/g;

// Lua 5.1 lets a function capture at most 60 upvalues (LUAI_MAXUPVALUES); the maker captures
// every top-level local its functions use
const MAX_UPVALUES = 60;

// `name = function(…)` in column 0: a forward-declared local (`local name = false`) defined
const ASSIGNED_FUNCTION = /^[A-Za-z_]\w*\s*=\s*function\s*\(/;

/** Names `code` declares, once per declaration: locals, parameters, loop variables, local functions. */
export function declaredNames(code) {
  const names = [];
  const add = (list) => {
    for (const n of list.split(',')) if (/^\s*[A-Za-z_]\w*\s*$/.test(n)) names.push(n.trim());
  };
  for (const m of code.matchAll(/\blocal\s+function\s+([A-Za-z_]\w*)/g)) names.push(m[1]);
  for (const m of code.matchAll(/\blocal\s+(?!function\b)([\w\s,]+?)\s*(?:=|\n|$)/g)) add(m[1]);
  for (const m of code.matchAll(/\bfunction\b[\w.:\s]*\(([^)]*)\)/g)) add(m[1]);
  for (const m of code.matchAll(/\bfor\s+([\w\s,]+?)\s+(?:in\b|=)/g)) add(m[1]);
  return names;
}

/**
 * `text` with every use of a name that `replacement` gives text for replaced by it. A use is a
 * name in code (not in a string or comment), not after `.` or `:` and not before `=`.
 */
export function replaceUses(text, replacement) {
  return text.replace(TOKENS, (token, at) => {
    const replaced = replacement(token);
    if (replaced === undefined) return token;
    if (/^\s*=(?!=)/.test(text.slice(at + token.length, at + token.length + 40))) return token;
    return replaced;
  });
}

/** `text` with every use of a name in `names` made `Lazy.name`. */
function rewriteUses(text, names) {
  return replaceUses(text, (name) => (names.has(name) ? `${LAZY}.${name}` : undefined));
}

/** The names `code` uses (not in strings or comments, not fields). */
function usedNames(code) {
  const used = new Set();
  for (const m of code.matchAll(TOKENS)) if (!m[0].startsWith('--') && !/^['"]/.test(m[0])) used.add(m[0]);
  return used;
}

/** `lua` with its top-level functions made on first use (see the file's comment). */
export function lazyFunctions(lua) {
  if (lua.includes(LAZY)) throw new Error(`lazy.mjs: a script uses the name ${LAZY}, which the compiler reserves`);
  const lines = lua.split('\n');
  const stmts = statements(lines);
  const textOf = (st) => lines.slice(st.from, st.to + 1).join('\n');
  const declared = declaredNames(lua);
  const count = new Map();
  for (const n of declared) count.set(n, (count.get(n) ?? 0) + 1);
  const defined = new Set(); // every top-level function seen so far
  const lazy = []; // the statements of the functions made on first use
  let start = stmts.length; // the statement the maker goes before
  for (let k = 0; k < stmts.length; k++) {
    const st = stmts[k];
    if (st.name) {
      defined.add(st.name);
      // declared once: its definition
      if (count.get(st.name) === 1) lazy.push(st);
      continue;
    }
    // (a forward-declared local given its function defines it too: it runs nothing yet)
    if (ASSIGNED_FUNCTION.test(lines[st.from])) continue;
    if ([...usedNames(textOf(st))].some((n) => defined.has(n))) {
      start = k;
      break;
    }
  }
  if (lazy.length === 0) return lua;
  const names = new Set(lazy.map((st) => st.name));
  // the top-level locals the functions capture: those declared before the maker and used in a body
  const topLocals = new Set();
  for (let k = 0; k < start; k++) {
    if (names.has(stmts[k].name)) continue;
    for (const n of declaredNames(lines[stmts[k].from])) topLocals.add(n);
  }
  const captured = new Set();
  for (const st of lazy) for (const n of usedNames(textOf(st))) if (topLocals.has(n)) captured.add(n);
  if (captured.size + 1 > MAX_UPVALUES) {
    throw new Error(`lazy.mjs: the maker would capture ${captured.size + 1} top-level locals (Lua allows ${MAX_UPVALUES})`);
  }
  const maker = [`setmetatable(${LAZY}, { __index = function(${LAZY}Made, ${LAZY}Name)`, `  local ${LAZY}Fn`];
  lazy.forEach((st, i) => {
    const head = /^local\s+function\s+[A-Za-z_]\w*\s*(\(.*)$/.exec(lines[st.from]);
    const body = [`function${head[1]}`, ...lines.slice(st.from + 1, st.to + 1)].join('\n');
    maker.push(`  ${i === 0 ? 'if' : 'elseif'} ${LAZY}Name == '${st.name}' then ${LAZY}Fn = ${rewriteUses(body, names)}`);
    for (let l = st.from; l <= st.to; l++) lines[l] = '';
  });
  maker.push('  end', `  ${LAZY}Made[${LAZY}Name] = ${LAZY}Fn`, `  return ${LAZY}Fn`, 'end })');
  const head = `local ${LAZY} = {}`;
  const before = lines.slice(0, start < stmts.length ? stmts[start].from : lines.length);
  const after = start < stmts.length ? lines.slice(stmts[start].from) : [];
  // the other code's uses are rewritten too (the functions kept as they were use them)
  return [head, rewriteUses(before.join('\n'), names), maker.join('\n'), rewriteUses(after.join('\n'), names)].join('\n');
}
