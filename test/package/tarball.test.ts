// What `npm pack` puts in the published tarball: the built library and its types, the README,
// the LICENSE and package.json; no tests, benchmarks, examples, Lua sources or source maps
// pointing at files that are not shipped. Packs a copy of the repo (see pack.ts).
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack, root, type PackResult } from './pack.js';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  typesVersions?: Record<string, Record<string, string[]>>;
  exports: Record<string, string | Record<string, string>>;
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

describe('the published tarball', () => {
  let packed: PackResult;
  beforeAll(async () => {
    packed = await pack({ dryRun: true });
  }, 180_000);
  afterAll(() => {
    if (packed) rmSync(packed.dir, { recursive: true, force: true });
  });

  it('holds only dist/src (js and d.ts), package.json, README.md and LICENSE', () => {
    const paths = packed.files.map((f) => f.path).sort();
    const others = paths.filter((p) => !p.startsWith('dist/src/'));
    expect(others).toEqual(['LICENSE', 'README.md', 'package.json']);
    const built = paths.filter((p) => p.startsWith('dist/src/'));
    expect(
      built.filter((p) => !/\.(js|d\.ts)$/.test(p)),
      'only .js and .d.ts under dist/src',
    ).toEqual([]);
    // no source maps: src/ is not shipped, so they would point at nothing
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    // each module comes with its declarations
    for (const js of built.filter((p) => p.endsWith('.js'))) expect(paths, js).toContain(js.replace(/\.js$/, '.d.ts'));
    expect(
      paths.filter((p) => /(^|\/)(test|bench|examples|lua)\//.test(p) || p.endsWith('.lua') || (p.endsWith('.ts') && !p.endsWith('.d.ts'))),
    ).toEqual([]);
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the sluice authors\n/);
  });

  it('ships every file package.json points at (main, types, bin, exports)', () => {
    const paths = new Set(packed.files.map((f) => f.path));
    const targets: string[] = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      if (subpath === './package.json') continue;
      const conditions = typeof target === 'string' ? { default: target } : target;
      expect(Object.keys(conditions)[0], `${subpath}: "types" first`).toBe('types');
      expect(Object.keys(conditions), `${subpath}: a "default" condition, so require() works too`).toContain('default');
      targets.push(...Object.values(conditions));
    }
    // typesVersions: where node10 resolution (module: commonjs) finds a subpath's types
    for (const list of Object.values(pkg.typesVersions?.['*'] ?? {})) targets.push(...list);
    for (const t of targets) expect(paths.has(t.replace(/^\.\//, '')), t).toBe(true);
  });

  it("has no install-time scripts, and ioredis is the app's own (a peer)", () => {
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts[s], s).toBeUndefined();
    expect(pkg.dependencies.ioredis).toBeUndefined();
    expect(pkg.peerDependencies.ioredis).toMatch(/\^5\.\d+\.\d+ \|\| \^6\.\d+\.\d+/);
  });

  it('keeps the generated Lua declarations small, and reports the size', () => {
    const file = (p: string) => packed.files.find((f) => f.path === p);
    expect(file('dist/src/generated/lua.d.ts')!.size).toBeLessThan(5_000);
    expect(file('dist/src/generated/lua.js')).toBeDefined();
    const dts = packed.files.filter((f) => f.path.endsWith('.d.ts')).reduce((n, f) => n + f.size, 0);
    console.log(
      `npm pack: ${packed.entryCount} files, ${(packed.size / 1000).toFixed(1)} kB packed, ` +
        `${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked (d.ts ${(dts / 1000).toFixed(1)} kB)`,
    );
    // a bound, not a target: today's package (~1.63 MB with the dashboard, the CLI, metrics,
    // tracing, and the Lua of every script with its includes inlined, lua.js ~470 kB) is under
    // it; a jump means something got in by mistake
    expect(packed.unpackedSize).toBeLessThan(1_750_000);
  });
});
