// The house rules that a file listing can check (docs/contributing.md): no source file in src/
// over 400 lines, and every file opens with a comment that says what it is for.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'generated') continue;
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('house rules', () => {
  const files = sources(join(root, 'src'));

  it('no file in src/ is over 400 lines', () => {
    const long = files
      .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').trimEnd().split('\n').length }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('every file in src/ opens with a comment that says what it is for', () => {
    // (after a #! line, for the command-line entry)
    const bare = files.filter((f) => !/^(#![^\n]*\n)?\/\/ \S/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    expect(bare).toEqual([]);
  });
});
