// Fails when a source line is longer than the formatter's width (biome.json lineWidth): the
// formatter wraps code, but not long strings, comments or Lua, which this check covers.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const width = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8')).formatter.lineWidth;
const skip = new Set(['node_modules', 'dist', 'generated', '.git']);
const long = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(ts|mjs|lua)$/.test(name)) {
      readFileSync(path, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if ([...line].length > width) long.push(`${relative(root, path)}:${i + 1}: ${[...line].length} characters`);
        });
    }
  }
}
for (const dir of ['src', 'test', 'bench', 'chaos', 'examples', 'lua', 'scripts']) walk(join(root, dir));
if (long.length > 0) {
  console.error(`lines over ${width} characters:\n${long.join('\n')}`);
  process.exit(1);
}
console.log(`line width: every line within ${width} characters`);
