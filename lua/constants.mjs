// Writes a constant's value where it is used. The includes name their caps and flags as
// top-level locals (`local DELETE_CHUNK = 500`); every function that uses one captures it, and
// the functions' maker (lazy.mjs), made on every call, captured some twenty-five of them: one
// upvalue object each, allocated and freed per call (lua/README.md, "Cost per call"). A constant
// written in place costs nothing: Lua loads it from the function's constants, and folds a
// product of constants (`60 * 64`) when it compiles the script.
//
//   local DATA_PIECE = 64                     (an empty line)
//   string.sub(d, 1, DATA_PIECE)         →    string.sub(d, 1, (64))
//
// A constant is a top-level local named in UPPER_CASE whose value is a number, a quoted string,
// or arithmetic of numbers and constants declared before it, declared once and never assigned
// again (a table field of the same name, `{ NAME = … }`, counts as an assignment: the constant
// then stays a local). A name in a string or comment, or after `.` or `:` (a field), is left
// alone.
import { declaredNames, replaceUses } from './lazy.mjs';

const DECLARATION = /^local ([A-Z][A-Z0-9_]*) = ([^\n]*?)\s*(--[^\n]*)?$/;
const NUMBER = '\\d+(?:\\.\\d+)?';
const VALUE = new RegExp(`^(?:'[^'\\\\\\n]*'|[(]?${NUMBER}(?:\\s*[-+*/]\\s*[(]?${NUMBER}[)]?)*[)]?)$`);
const STRINGS = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g;

/** `lua` (comments stripped, includes resolved) with its constants written where they are used. */
export function inlineConstants(lua) {
  const lines = lua.split('\n');
  const declared = new Map();
  for (const n of declaredNames(lua)) declared.set(n, (declared.get(n) ?? 0) + 1);
  const code = lua.replace(STRINGS, "''");
  const values = new Map();
  const substitute = (text) => replaceUses(text, (name) => values.get(name));
  for (let i = 0; i < lines.length; i++) {
    const m = DECLARATION.exec(lines[i]);
    if (!m || declared.get(m[1]) !== 1) continue;
    // (an earlier constant in the value is written in first: `60 * DATA_PIECE` is `60 * (64)`)
    const value = substitute(m[2]);
    if (!VALUE.test(value.replace(/\((\d+(?:\.\d+)?)\)/g, '$1'))) continue;
    const assigned = new RegExp(`(?<![\\w.:])${m[1]}\\s*=(?!=)`, 'g');
    if ((code.match(assigned) ?? []).length !== 1) continue;
    values.set(m[1], `(${value})`);
    lines[i] = '';
  }
  if (values.size === 0) return lua;
  return substitute(lines.join('\n'));
}
