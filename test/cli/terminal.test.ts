// The CLI at a terminal (a pseudo-terminal made by util-linux `script`): a destructive command
// asks and acts only on "y", and `top` redraws in place with ANSI and quits on q.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { checkBuilt, cliPath } from './run-cli.js';

const t = useRedis();
const hasScript = existsSync('/usr/bin/script');

beforeAll(() => checkBuilt());

/** Runs `sluice ...args` on a pseudo-terminal; `keys` are typed once `ready` is in its output. */
function atTerminal(args: string[], ready: RegExp, keys: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, cliPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let typed = false;
  const onData = (d: Buffer) => {
    output += d;
    if (!typed && ready.test(output)) {
      typed = true;
      child.stdin.write(keys);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within 45 s: ${output}`));
    }, 45_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe.skipIf(!hasScript)('at a terminal', { timeout: 120_000 }, () => {
  it('remove asks: "n" keeps the job (exit 2), "y" removes it', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    const job = await q.add('x', 1);
    const args = ['remove', 'orders', job.id, '--url', t.url, '--prefix', t.prefix];
    const no = await atTerminal(args, /\[y\/N\] /, 'n\r');
    expect(no.code).toBe(2);
    expect(no.output).toContain(`remove job "${job.id}" from queue "orders", group "default"? [y/N]`);
    expect(no.output).toContain('sluice: not confirmed: nothing was changed');
    expect(await q.getJob(job.id)).toBeDefined();
    const yes = await atTerminal(args, /\[y\/N\] /, 'y\r');
    expect(yes.code).toBe(0);
    expect(yes.output).toContain(`removed job "${job.id}"`);
    expect(await q.getJob(job.id)).toBeUndefined();
  });

  it('top redraws in place and quits on q', async () => {
    t.newPrefix();
    const q = t.queue('orders');
    await q.add('x', 1);
    const run = atTerminal(['top', '--interval', '100', '--url', t.url, '--prefix', t.prefix], /(\(q quits\)[\s\S]*){3}/, 'q');
    const { code, output } = await run;
    const frames = output.split('(q quits)').length - 1;
    expect(code).toBe(0);
    expect(frames).toBeGreaterThanOrEqual(3);
    // cursor hidden, then each frame drawn from the top left, and the cursor shown again
    expect(output).toContain('\u001b[?25l');
    expect(output.split('\u001b[H').length - 1).toBeGreaterThanOrEqual(3);
    expect(output).toMatch(/orders\s+default\s+1/);
    expect(output).toContain('\u001b[?25h');
  });
});
