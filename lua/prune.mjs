// Drops the top-level `local function`s a compiled script can never call. Redis runs a
// script's whole text on every call, so each top-level function is made again (a closure) each
// time, called or not (lua/README.md, "Cost per call"); an include brings all of its functions
// into every script that uses one of them. The look is by name and over-approximates: a
// function is kept when any kept code mentions its name (even as a field name), so only
// functions nothing could reach are dropped. Their lines become empty lines, so the line
// numbers of Redis's error messages still count lines of the compiled text.

// A statement begins at a line in column 0 that does not close or continue a block.
const CONTINUATION = /^(end\b|else\b|elseif\b|until\b|[)}\]])/;
const FUNCTION_HEAD = /^local\s+function\s+([A-Za-z_]\w*)\s*\(/;

/** The script's top-level statements: { lines, name } (name: a droppable `local function`). */
export function statements(lines) {
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const starts = line !== '' && !/^\s/.test(line) && !CONTINUATION.test(line);
    if (starts || out.length === 0) out.push({ from: i, to: i });
    else out[out.length - 1].to = i;
  }
  for (const st of out) {
    const head = FUNCTION_HEAD.exec(lines[st.from]);
    const body = lines.slice(st.from + 1, st.to + 1);
    // only a whole function and nothing else: its body indented, closed by `end` in column 0
    // (a one-line function is whole on its head line)
    const whole = body.every((l) => l === '' || /^\s/.test(l) || l === 'end');
    const closed = body.filter((l) => l !== '').pop() === 'end' || /\bend\s*$/.test(lines[st.from]);
    st.name = head && whole && closed ? head[1] : undefined;
  }
  return out;
}

// the names code mentions, comments and string literals left out (a local is never reached by a string)
const identifiers = (text) => new Set(text.replace(/--[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, ' ').match(/[A-Za-z_]\w*/g) ?? []);

/** `lua` without the top-level local functions that no kept code names. */
export function pruneUnreached(lua) {
  const lines = lua.split('\n');
  const stmts = statements(lines);
  const byName = new Map();
  for (const st of stmts) if (st.name) byName.set(st.name, [...(byName.get(st.name) ?? []), st]);
  const kept = new Set();
  const queue = stmts.filter((st) => !st.name);
  while (queue.length > 0) {
    const st = queue.pop();
    if (kept.has(st)) continue;
    kept.add(st);
    const text = lines.slice(st.from, st.to + 1).join('\n');
    for (const id of identifiers(text)) {
      for (const def of byName.get(id) ?? []) if (!kept.has(def)) queue.push(def);
    }
  }
  for (const st of stmts) {
    if (kept.has(st)) continue;
    for (let i = st.from; i <= st.to; i++) lines[i] = '';
  }
  return lines.join('\n');
}
