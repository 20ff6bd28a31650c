// Packs sluice the way `npm publish` would (the `prepack` build), in a copy of the repo: prepack
// deletes and rebuilds dist/src, which the other test files are running from at the same time,
// so it must not run in the working tree. The copy shares the repo's node_modules (a symlink).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const run = promisify(execFile);

// Under `npm test`, npm hands its own settings down as npm_config_* variables (prefix,
// local_prefix of this repo, ...). The npm runs started here work in other directories: they
// get the settings that say where packages come from (cache, registry, proxies, the user's
// npmrc), not those that say where this repo is.
const keptNpmSettings = /^npm_config_(cache|userconfig|globalconfig|registry|cafile|ca|strict_ssl|proxy|https_proxy|http_proxy|noproxy)$/i;

export function npmEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keptNpmSettings.test(k)));
  return { ...env, ...extra };
}

export interface PackedFile {
  path: string;
  size: number;
}

export interface PackResult {
  /** The temp dir holding the copy (and the tarball, unless a dry run). */
  dir: string;
  /** Absolute path of the .tgz (undefined for a dry run). */
  tarball?: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}

/** The files `npm pack` reads from, copied; src/generated is rebuilt by the prepack build. */
function copyRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  for (const name of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE']) {
    if (existsSync(join(root, name))) cpSync(join(root, name), join(repo, name));
  }
  cpSync(join(root, 'lua'), join(repo, 'lua'), { recursive: true });
  cpSync(join(root, 'src'), join(repo, 'src'), {
    recursive: true,
    filter: (src) => !src.startsWith(join(root, 'src', 'generated')),
  });
  symlinkSync(realpathSync(join(root, 'node_modules')), join(repo, 'node_modules'), 'dir');
  return dir;
}

export async function pack(opts: { dryRun?: boolean } = {}): Promise<PackResult> {
  const dir = copyRepo();
  const args = ['pack', '--json', '--pack-destination', dir, ...(opts.dryRun ? ['--dry-run'] : [])];
  const { stdout } = await run('npm', args, { cwd: join(dir, 'repo'), maxBuffer: 64 << 20, env: npmEnv({ npm_config_loglevel: 'warn' }) });
  // the prepack build prints to stdout before npm's JSON
  const at = stdout.search(/^\[/m);
  if (at < 0) throw new Error(`npm pack printed no JSON:\n${stdout}`);
  const [info] = JSON.parse(stdout.slice(at)) as [
    { filename: string; size: number; unpackedSize: number; entryCount: number; files: PackedFile[] },
  ];
  return {
    dir,
    tarball: opts.dryRun ? undefined : join(dir, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    entryCount: info.entryCount,
    files: info.files,
  };
}
