// Runs the built CLI (`node dist/src/cli.js`, the package's bin) as a child process and
// collects its exit code, output and run time. `npm test` builds first; run alone, build with
// `npm run build` before: a dist older than src/cli fails loudly instead of testing stale code.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const cliPath = join(root, 'dist', 'src', 'cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    t = Math.max(t, s.isDirectory() ? newest(path) : s.mtimeMs);
  }
  return t;
}

/** Throws when dist/src/cli is missing or older than src/cli (run `npm run build`). */
export function checkBuilt(): void {
  let built = 0;
  try {
    built = Math.min(statSync(cliPath).mtimeMs, newest(join(root, 'dist', 'src', 'cli')));
  } catch {
    throw new Error('dist/src/cli.js is missing: run `npm run build` first (npm test does)');
  }
  const source = Math.max(statSync(join(root, 'src', 'cli.ts')).mtimeMs, newest(join(root, 'src', 'cli')));
  if (built < source - 1000) throw new Error('dist/src/cli is older than src/cli: run `npm run build` first (npm test does)');
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A running `sluice`: what it printed so far, and its end. */
export interface CliProcess {
  output(): { stdout: string; stderr: string };
  /** Sends the process a signal. */
  kill(signal: NodeJS.Signals): void;
  exited: Promise<CliRun>;
}

/** Starts `sluice ...args`; stdin is not a terminal (/dev/null). */
export function startSluice(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): CliProcess {
  const started = Date.now();
  const env = { ...process.env, ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<CliRun>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 45_000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 45_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { output: () => ({ stdout, stderr }), kill: (signal) => void child.kill(signal), exited };
}

/** Runs `sluice ...args` to its end; stdin is not a terminal (/dev/null). */
export function sluice(args: string[], opts: { env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<CliRun> {
  return startSluice(args, opts).exited;
}

/** Runs `sluice ...args --json`, expects exit 0 and returns the parsed output. */
export async function sluiceJson<T = unknown>(args: string[]): Promise<T> {
  const run = await sluice([...args, '--json']);
  if (run.code !== 0) throw new Error(`sluice ${args.join(' ')} --json exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}
