// The compiled Lua scripts (src/generated/lua.ts, built by lua/compile.mjs) as a client knows
// them: each defined once per client with defineCommand, and its KEYS ordered as its header
// lists them. The typed wrappers that call them are in scripts.ts.
import type { Redis } from 'ioredis';
import { luaScripts } from '../generated/lua.js';

export type ScriptName = keyof typeof luaScripts;
export function registerScripts(client: Redis): void {
  for (const script of Object.values(luaScripts)) {
    if (typeof (client as unknown as Record<string, unknown>)[script.name] !== 'function') {
      client.defineCommand(script.name, { numberOfKeys: script.keys.length, lua: script.lua });
    }
  }
}

/** Orders `keys` as the script's header lists them; a missing or extra name is a bug here. */
export function orderKeys(op: ScriptName, keys: Record<string, string>): string[] {
  const names: readonly string[] = luaScripts[op].keys;
  const extra = Object.keys(keys).filter((k) => !names.includes(k));
  if (extra.length) throw new Error(`script ${op}: keys ${extra.join(', ')} are not in its header`);
  return names.map((name) => {
    const key = keys[name];
    if (key === undefined) throw new Error(`script ${op}: key "${name}" missing`);
    return key;
  });
}

/** The command name a client knows a script by (defined by registerScripts). */
export function commandName(op: ScriptName): string {
  return luaScripts[op].name;
}
