// Every pointer resolves inside the repository: relative links in the Markdown pages, docs/ and
// README paths and source paths named in pages and code comments, and "invariant N" citations (N must be on the numbered
// list of docs/invariants.md). Redis-free: it reads files.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'generated' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

const pages = [join(root, 'README.md'), ...walk(root, (p) => p.endsWith('.md') && !p.includes(`${join(root, 'bench', 'results')}`))];
const code = ['src', 'lua', 'test', 'bench', 'examples'].flatMap((d) => walk(join(root, d), (p) => /\.(ts|mjs|lua)$/.test(p)));

/** The comment lines of a TypeScript, JavaScript or Lua file. */
function comments(source: string): string {
  return source
    .split('\n')
    .filter((line) => /^\s*(\/\/|\*|\/\*|--)/.test(line))
    .join('\n');
}

describe('pointers inside the repository', () => {
  it('relative links in the Markdown pages point at files that exist', () => {
    const broken: string[] = [];
    for (const page of new Set(pages)) {
      const text = readFileSync(page, 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (!target || /^[a-z]+:/.test(target)) continue; // an anchor on the same page, or a URL
        if (!existsSync(join(dirname(page), target))) broken.push(`${relative(root, page)}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('docs/ pages and READMEs named in code comments exist', () => {
    const broken: string[] = [];
    for (const file of code) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b((?:docs\/[\w-]+|lua\/README|bench\/README)\.md)\b/g)) {
        if (!existsSync(join(root, m[1]!))) broken.push(`${relative(root, file)}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('source paths (src/…, lua/…, test/…, bench/…) named in the pages and in comments exist', () => {
    const broken: string[] = [];
    for (const file of [...new Set(pages), ...code]) {
      // in code, only what comments say (strings may name scratch files of a test)
      const text = file.endsWith('.md') ? readFileSync(file, 'utf8') : comments(readFileSync(file, 'utf8'));
      for (const m of text.matchAll(/(?<![\w./-])((?:src|lua|test|bench|examples)\/[\w./-]+\.(?:ts|lua|mjs))\b/g)) {
        if (m[1]!.includes('generated/')) continue; // built by npm run gen
        if (!existsSync(join(root, m[1]!))) broken.push(`${relative(root, file)}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('"invariant N" cites a rule on the numbered list of docs/invariants.md', () => {
    const listed = new Set(
      [...readFileSync(join(root, 'docs', 'invariants.md'), 'utf8').matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1])),
    );
    expect(listed.size).toBeGreaterThan(0);
    const unknown: string[] = [];
    for (const file of [...code, ...pages]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\binvariants? (\d+)(?:\s*[-–]\s*(\d+))?/gi)) {
        const from = Number(m[1]);
        const to = m[2] ? Number(m[2]) : from;
        for (let n = from; n <= to; n++) if (!listed.has(n)) unknown.push(`${relative(root, file)}: invariant ${n}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('no comment cites an issue number or a document outside the repository', () => {
    const outside: string[] = [];
    for (const file of code) {
      const text = readFileSync(file, 'utf8');
      // (review findings were labelled H1, M4, L7, D2…: a label is no pointer once the review is gone)
      for (const m of text.matchAll(/\b(?:[Ii]ssue \d+|STYLE \d|DESIGN\.md|\.\.\/shared\/)|\((?:[HMLD]\d{1,2})\)|'D\d: /g)) {
        outside.push(`${relative(root, file)}: ${m[0]}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
