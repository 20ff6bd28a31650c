// Prompt, predictable exits: after close() resolves nothing of sluice keeps the process alive,
// and a second signal to shutdownOnSignals forces the exit after handing back the running job.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

const fixture = fileURLToPath(new URL('../fixtures/exit-process.mjs', import.meta.url));

interface Child {
  proc: ChildProcess;
  next(t: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(env: Record<string, string>): Child {
  const proc = fork(fixture, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(proc);
  const seen: Record<string, unknown>[] = [];
  proc.on('message', (m) => seen.push(m as Record<string, unknown>));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    exited,
    async next(t, timeoutMs = 15_000) {
      await waitFor(
        () => {
          if (seen.some((m) => m.t === t)) return true;
          if (proc.exitCode !== null) throw new Error(`child exited with ${proc.exitCode} before sending ${t}`);
          return false;
        },
        timeoutMs,
        `child message ${t}`,
      );
      return seen.find((m) => m.t === t)!;
    },
  };
}

describe('process exit', () => {
  const t = useRedis();

  async function closeAndExit(opts: { redisDown: boolean }): Promise<{ livedMs: number; closeMs: number }> {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-exit-'));
    try {
      const exitFile = join(dir, 'exit.json');
      const child = start({ MODE: 'close', REDIS_URL: t.url, PREFIX: t.newPrefix(), EXIT_FILE: exitFile });
      await child.next('idle');
      // close while the worker blocks in BZPOPMIN: the connection that held the exit up
      await waitFor(
        async () => {
          const clients = String(await t.admin.call('CLIENT', 'LIST'));
          return clients.split('\n').some((l) => l.includes('name=sluice:blocking:') && l.includes('cmd=bzpopmin'));
        },
        10_000,
        'worker blocked in BZPOPMIN',
      );
      if (opts.redisDown) await t.redis.stop('SIGKILL');
      child.proc.send('close');
      expect(await child.exited).toBe(0);
      return JSON.parse(readFileSync(exitFile, 'utf8')) as { livedMs: number; closeMs: number };
    } finally {
      if (opts.redisDown) await t.redis.start();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('the process exits within 100 ms of close() resolving, even with a worker blocked idle in Redis', async () => {
    const { livedMs } = await closeAndExit({ redisDown: false });
    expect(livedMs).toBeGreaterThanOrEqual(0);
    expect(livedMs).toBeLessThan(100);
  });

  it('with Redis down when close() is called: close() returns promptly and the process exits at once', async () => {
    const { livedMs, closeMs } = await closeAndExit({ redisDown: true });
    expect(livedMs).toBeLessThan(100);
    // QueueEvents' read waited for its watchdog (about 10 s) before; the worker's own steps
    // may take up to its close grace when Redis does not answer
    expect(closeMs).toBeLessThan(8000);
  });

  it('a second signal forces the exit: the running job is aborted and handed back without using an attempt', async () => {
    const prefix = t.newPrefix();
    const queue = t.queue('exit');
    const job = await queue.add('endless', null, { attempts: 3 });
    const child = start({ MODE: 'signals', REDIS_URL: t.url, PREFIX: prefix });
    await child.next('started');
    child.proc.kill('SIGTERM');
    await child.next('signal');
    // the first signal waits up to 60 s for the running job; the second cuts that short
    expect(child.proc.exitCode).toBeNull();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('waiting');
    expect(stored?.attemptsMade).toBe(0);
    expect(stored?.deliveries).toBe(1);
  });
});
