// Takes the Key table (includes/keys.lua) apart at compile time. Written as one table, it was
// built again on every script call: about thirty fields and nine closures, some 1.8 KB for Lua
// to allocate and its collector to sweep, in every call of every script, used or not (lua/README.md,
// "Cost per call"). Here a fixed name becomes its string where it is used, and a name with a
// parameter a top-level function, which prune.mjs drops where no code calls it and lazy.mjs
// makes on first use:
//
//   base .. Key.meta                →   base .. 'meta'
//   Key.job(base, id)               →   Key_job(base, id)
//   job = function(prefix, id) … end →  local function Key_job(prefix, id) … end
//
// keys.lua stays the one place the names are written; a use of a name it does not have fails
// the compile, as would a use of Key other than `Key.name`.

const TABLE = /^local Key = \{\n([\s\S]*?)^\}\n/m;
// an entry with a parameter: from `name = function(` to the `end,` that closes it
const FUNCTION_ENTRY = /^\s*([A-Za-z_]\w*) = function(\([^)]*\))([\s\S]*?)\bend,[^\n]*$/gm;
// a string, a comment, or Key.name (the only form a script may use)
const TOKENS = /--[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|\bKey\b(?:\.([A-Za-z_]\w*))?/g;

/** The table's entries: fixed names (name -> quoted string) and functions (name -> text). */
function entries(body) {
  const names = new Map();
  const functions = new Map();
  for (const m of body.matchAll(FUNCTION_ENTRY)) {
    // (a body of several lines is closed in column 0, where prune.mjs and lazy.mjs look for it)
    const text = m[3].includes('\n') ? `${m[3].replace(/\s*$/, '')}\nend` : `${m[3].replace(/\s*$/, '')} end`;
    functions.set(m[1], `local function Key_${m[1]}${m[2]}${text}`);
  }
  for (const m of body.replace(FUNCTION_ENTRY, '').matchAll(/\b([A-Za-z_]\w*) = ('[^'\n]*')/g)) names.set(m[1], m[2]);
  return { names, functions };
}

/**
 * `lua` (comments stripped, includes resolved) with the Key table taken apart. (A script that
 * uses Key without including keys.lua is refused by the include check of compile.mjs.)
 */
export function inlineKeyNames(lua, file) {
  const table = lua.match(TABLE);
  if (!table) return lua;
  const { names, functions } = entries(table[1]);
  // the functions stand where the table stood (before any code that uses them), on as many
  // lines, so that Redis's error messages still count lines of the compiled text
  const functionsText = [...functions.values()].join('\n');
  const defined = functionsText + '\n'.repeat(table[0].split('\n').length - functionsText.split('\n').length);
  const rewrite = (text) =>
    text.replace(TOKENS, (token, name) => {
      if (!token.startsWith('Key')) return token;
      if (name && names.has(name)) return names.get(name);
      if (name && functions.has(name)) return `Key_${name}`;
      throw new Error(`${file}: ${token} is not a name of Key (includes/keys.lua)`);
    });
  return rewrite(lua.slice(0, table.index)) + defined + rewrite(lua.slice(table.index + table[0].length));
}
