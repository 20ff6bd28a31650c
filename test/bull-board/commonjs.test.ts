// `sluice/bull-board` as an app loads it: from CommonJS with require(), through the package's
// exports map (a self-reference to the built dist, so `npm test` builds first), against a real
// Redis. And the main entry stays free of @bull-board, an optional peer.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../helpers/redis.js';
import { useRedis } from '../helpers/setup.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

const program = `'use strict';
const { SluiceAdapter } = require('sluice/bull-board');
const { BaseAdapter } = require('@bull-board/api/dist/queueAdapters/base.js');
const { Queue } = require('sluice');
(async () => {
  const queue = new Queue('cjs-board', { connection: process.env.REDIS_URL, prefix: process.env.SLUICE_PREFIX });
  await queue.add('hello', { from: 'cjs' });
  const adapter = new SluiceAdapter(queue);
  const counts = await adapter.getJobCounts();
  const [job] = await adapter.getJobs(['waiting']);
  console.log(JSON.stringify({ base: adapter instanceof BaseAdapter, name: adapter.getName(), counts, data: job.toJSON().data }));
  await queue.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('sluice/bull-board from CommonJS', () => {
  const t = useRedis();

  it("require('sluice/bull-board') gives a working Bull Board adapter", async () => {
    const env = { ...process.env, REDIS_URL: t.url, SLUICE_PREFIX: uniquePrefix(), SLUICE_LOG_LEVEL: 'warn' };
    const { stdout, stderr } = await run(process.execPath, ['--input-type=commonjs', '-e', program], { cwd: root, env });
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      base: true,
      name: 'cjs-board',
      counts: { active: 0, waiting: 1, 'waiting-children': 0, delayed: 0, completed: 0, failed: 0 },
      data: { from: 'cjs' },
    });
  });

  it('only src/bull-board imports @bull-board, and nothing imports src/bull-board (the main entry stays optional)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) {
          if (name !== 'bull-board' && name !== 'generated') walk(path);
        } else if (name.endsWith('.ts') && /from '(@bull-board\/|[./]+\/bull-board\/)/.test(readFileSync(path, 'utf8'))) {
          offenders.push(relative(root, path));
        }
      }
    };
    walk(join(root, 'src'));
    expect(offenders).toEqual([]);
  });
});
