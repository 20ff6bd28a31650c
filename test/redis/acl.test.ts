// ACL users: a producer and a worker run under the exact ACL SETUSER lines of
// docs/production.md (test/helpers/acl-rules.ts reads them): jobs, the admin calls (clean of
// waiting jobs, removeGroup, explain), Worker.pause/resume and the durable mode with a replica,
// with no denial in Redis's ACL LOG; a user confined to one prefix cannot touch another; a
// missing command is a typed NOPERM error (a rejected call, a worker 'error' event) that names
// it, never a hang; and where CONFIG GET is refused the eviction check says so once, at info.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { QueueEvents, RedisCommandError } from '../../src/index.js';
import { startRedis } from '../../src/testing/redis-server.js';
import { type AclRole, documentedRules as pageRules } from '../helpers/acl-rules.js';
import { askText, until } from '../helpers/servers.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor, waitForEvent } from '../helpers/wait.js';

/** The documented rules of `role`, for `prefix` and `password`. */
function documentedRules(role: AclRole, prefix: string, password: string): string[] {
  return pageRules(role, { prefix, password });
}

type Line = { level: string; context: unknown; message: unknown };
function capturingLogger(lines: Line[]) {
  const at = (level: string) => (context: unknown, message?: unknown) => lines.push({ level, context, message });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('ACL users', () => {
  const t = useRedis();

  /** Creates an ACL user (default: the documented rules for the test's prefix) and returns a URL for it. */
  async function user(name: string, rules: string[]): Promise<string> {
    const password = randomBytes(8).toString('hex');
    await t.admin.call('ACL', 'SETUSER', name, 'reset', ...rules.map((r) => (r === '>PASSWORD' ? `>${password}` : r)));
    return `redis://${name}:${password}@127.0.0.1:${t.redis.port}`;
  }
  const documented = async (role: AclRole, name: string) => {
    const password = randomBytes(8).toString('hex');
    await t.admin.call('ACL', 'SETUSER', name, 'reset', ...documentedRules(role, t.prefix, password));
    return `redis://${name}:${password}@127.0.0.1:${t.redis.port}`;
  };
  const denials = async (name: string) =>
    ((await t.admin.call('ACL', 'LOG')) as unknown[][]).filter((entry) => entry.includes(name)).map((entry) => entry.map(String).join(' '));

  it('a producer and a worker run jobs under the documented rules, and Redis logs no denial for them', async () => {
    t.newPrefix();
    await t.admin.call('ACL', 'LOG', 'RESET');
    const producer = await documented('sluice-producer', 'producer1');
    const worker = await documented('sluice-worker', 'worker1');
    const queue = t.queue('acl', { connection: producer });
    const events = new QueueEvents('acl', { connection: producer, prefix: t.prefix, logger: quietLogger });
    try {
      await events.waitUntilReady();
      const seen: string[] = [];
      events.on('completed', ({ jobId }) => seen.push(jobId));
      const w = t.worker(
        'acl',
        async (job) => {
          if (job.data === 'fail' && job.attemptsMade === 0) throw new Error('once');
          return job.data;
        },
        { connection: worker },
      );
      const added = [
        await queue.add('plain', 1),
        await queue.add('delayed', 2, { delay: 100 }),
        await queue.add('prio', 3, { priority: 2 }),
        await queue.add('dedup', 4, { jobId: 'fixed' }),
        await queue.add('retry', 'fail', { attempts: 2 }),
        ...(await queue.addBulk([
          { name: 'b', data: 5 },
          { name: 'b', data: 6 },
        ])),
      ];
      await waitFor(() => added.every((j) => seen.includes(j.id)), 15_000, 'every job completed under the ACL users');
      await queue.setRateLimit({ max: 100, duration: 1000 });
      await queue.pause();
      await queue.resume();
      expect((await queue.getJobCounts()).completed).toBe(added.length);
      expect((await queue.getJob(added[0]!.id))?.returnvalue).toBe(1);
      expect(await queue.getJobs('completed')).toHaveLength(added.length);
      await queue.clean(0, 100, 'completed');
      expect(w.health().state).toBe('running');
      expect(await denials('producer1')).toEqual([]);
      expect(await denials('worker1')).toEqual([]);
    } finally {
      await events.close();
    }
  });

  /** The names of the consumer groups of `queue`'s stream (XINFO GROUPS, RESP2 or RESP3 replies). */
  const consumerGroups = async (queue: string): Promise<string[]> => {
    const reply = (await t.admin.call('XINFO', 'GROUPS', `${t.prefix}:{${queue}}:stream`)) as unknown[];
    return reply.map((g) => (Array.isArray(g) ? String(g[g.indexOf('name') + 1]) : String((g as Record<string, unknown>).name)));
  };

  it('clean of waiting jobs, explain() and removeGroup run under the documented producer: the consumer group is gone', async () => {
    t.newPrefix();
    await t.admin.call('ACL', 'LOG', 'RESET');
    const queue = t.queue('admin', { connection: await documented('sluice-producer', 'producer2') });
    // waiting jobs in the stream, in the group's wait list (lifo) and prioritised
    const waiting = [await queue.add('w', 1), await queue.add('w', 2, { lifo: true }), await queue.add('w', 3, { priority: 5 })];
    // explain(): a prioritised job's place in line (ZRANK)
    expect(await queue.explain(waiting[2]!.id)).toMatchObject({ jobId: waiting[2]!.id, state: 'waiting' });
    // clean of waiting jobs (clean-waiting.lua marks the wait list's with LSET)
    expect((await queue.clean(0, 0, 'wait')).sort()).toEqual(waiting.map((j) => j.id).sort());
    expect((await queue.getJobCounts()).waiting).toBe(0);
    // removeGroup: XGROUP DESTROY, which the script runs in a pcall (a refusal would pass in silence)
    await queue.createGroup('audit');
    expect(await consumerGroups('admin')).toContain('audit');
    await queue.removeGroup('audit');
    expect(await consumerGroups('admin')).not.toContain('audit');
    expect(await denials('producer2')).toEqual([]);
  });

  it('Worker.pause() ends an idle worker’s blocked read at once under the documented worker; after resume() it runs jobs', async () => {
    t.newPrefix();
    await t.admin.call('ACL', 'LOG', 'RESET');
    const url = await documented('sluice-worker', 'worker2');
    // a read that would block 60 s: only CLIENT UNBLOCK (found through CLIENT LIST) ends it sooner
    const worker = t.worker('idle', async (job) => job.data, { connection: url, blockMs: 60_000 });
    const blocked = async () =>
      String(await t.admin.call('CLIENT', 'LIST'))
        .split('\n')
        .some((l) => l.includes(' user=worker2') && / flags=[A-Za-z]*b/.test(l));
    await waitFor(blocked, 10_000, 'the worker to block on its wake marker');
    await worker.pause();
    await waitFor(async () => !(await blocked()), 5_000, 'pause() to end the blocked read');
    worker.resume();
    const done = waitForEvent(worker, 'completed', 10_000);
    await t.queue('idle', { connection: url }).add('x', 1);
    await done;
    expect(await denials('worker2')).toEqual([]);
  });

  it('the durable mode under the documented producer: an add resolves once the replica confirmed it (WAIT)', async () => {
    t.newPrefix();
    await t.admin.call('ACL', 'LOG', 'RESET');
    // (the master would wait 5 s, repl-diskless-sync-delay, before it sends the replica its data)
    await t.admin.call('CONFIG', 'SET', 'repl-diskless-sync-delay', '0');
    const replica = await startRedis({ url: null, args: ['--replicaof', '127.0.0.1', String(t.redis.port)] });
    try {
      await until('the replica to be in sync', 10_000, async () =>
        /master_link_status:up/.test((await askText(replica.port, 'INFO', 'replication')) ?? ''),
      );
      const queue = t.queue('durable', {
        connection: await documented('sluice-producer', 'durable1'),
        durability: { replicas: 1, timeoutMs: 5000 },
      });
      const job = await queue.add('a', 1);
      expect((await queue.getJob(job.id))?.data).toBe(1);
      expect(await denials('durable1')).toEqual([]);
    } finally {
      await replica.stop();
    }
  });

  it('a user confined to prefix A cannot read or change a queue under prefix B: RedisCommandError NOPERM', async () => {
    const prefixA = t.newPrefix();
    const producerA = await documented('sluice-producer', 'onlyA');
    const prefixB = t.newPrefix();
    const queueB = t.queue('other', { connection: producerA, prefix: prefixB });
    const add = await queueB.add('x', 1).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(add).toBeInstanceOf(RedisCommandError);
    expect((add as RedisCommandError).redisCode).toBe('NOPERM');
    expect(add!.message).toMatch(/no permissions to access one of the keys/);
    const read = await queueB.getJobCounts().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(read).toBeInstanceOf(RedisCommandError);
    expect((read as RedisCommandError).redisCode).toBe('NOPERM');
    expect(await t.admin.keys(`${prefixB}:*`)).toEqual([]);
    // the same user under its own prefix works
    const queueA = t.queue('mine', { connection: producerA, prefix: prefixA });
    expect((await queueA.add('x', 1)).id).toBeTruthy();
  });

  it('a producer without EVALSHA: the call rejects with NOPERM naming the command', async () => {
    t.newPrefix();
    const rules = documentedRules('sluice-producer', t.prefix, 'PASSWORD').filter((r) => r !== '+evalsha' && !r.startsWith('>'));
    const url = await user('noevalsha', ['>PASSWORD', ...rules]);
    const queue = t.queue('q', { connection: url });
    // ioredis sends a script's first call on a connection as EVAL, and EVALSHA after that
    await queue.add('first', 1);
    const failure = await queue.add('x', 1).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure).toBeInstanceOf(RedisCommandError);
    expect((failure as RedisCommandError).redisCode).toBe('NOPERM');
    expect(failure!.message).toMatch(/no permissions to run the 'evalsha' command/);
  });

  it('a worker without EVALSHA: an error event with the NOPERM text; it does not hang', async () => {
    t.newPrefix();
    const rules = documentedRules('sluice-worker', t.prefix, 'PASSWORD').filter((r) => r !== '+evalsha' && !r.startsWith('>'));
    const url = await user('noevalshaworker', ['>PASSWORD', ...rules]);
    const worker = t.worker('q', async () => 1, { connection: url, allowErrors: true });
    await worker.waitUntilReady();
    // (ioredis loads each script with EVAL on its first call: the next one, for the job, is an EVALSHA)
    const said = waitForEvent<[Error]>(worker, 'error', 10_000);
    await t.queue('q').add('x', 1);
    const [err] = await said;
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).redisCode).toBe('NOPERM');
    expect(err.message).toMatch(/no permissions to run the 'evalsha' command/);
  });

  it('a durable producer without WAIT: the add rejects with NOPERM naming the command', async () => {
    t.newPrefix();
    const rules = documentedRules('sluice-producer', t.prefix, 'PASSWORD').filter((r) => r !== '+wait' && !r.startsWith('>'));
    const queue = t.queue('q', { connection: await user('nowait', ['>PASSWORD', ...rules]), durability: { replicas: 1 } });
    const failure = await queue.add('x', 1).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(failure).toBeInstanceOf(RedisCommandError);
    expect((failure as RedisCommandError).redisCode).toBe('NOPERM');
    expect(failure!.message).toMatch(/no permissions to run the 'wait' command/);
  });

  it('a worker without BZPOPMIN: one error event naming the command when it goes idle; it still runs jobs', async () => {
    t.newPrefix();
    const rules = documentedRules('sluice-worker', t.prefix, 'PASSWORD').filter((r) => r !== '+bzpopmin' && !r.startsWith('>'));
    const url = await user('nobzpopmin', ['>PASSWORD', ...rules]);
    const worker = t.worker('q', async (job) => job.data, { connection: url, allowErrors: true, blockMs: 500 });
    const [err] = await waitForEvent<[Error]>(worker, 'error', 10_000);
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).redisCode).toBe('NOPERM');
    expect(err.message).toMatch(/'bzpopmin' command/);
    const done = waitForEvent(worker, 'completed', 10_000);
    await t.queue('q').add('x', 7);
    await done;
  });

  it('without CONFIG GET (managed Redis): a queue and a worker log one info line that the policy is unchecked; jobs run', async () => {
    t.newPrefix();
    const rules = documentedRules('sluice-worker', t.prefix, 'PASSWORD').filter((r) => r !== '+config|get' && !r.startsWith('>'));
    const url = await user('noconfig', ['>PASSWORD', ...rules]);
    const lines: Line[] = [];
    const logger = capturingLogger(lines);
    const queue = t.queue('q', { connection: url, logger, evictionPolicy: 'refuse' });
    const worker = t.worker('q', async (job) => job.data, { connection: url, logger });
    const done = waitForEvent(worker, 'completed');
    await queue.add('x', 1);
    await done;
    const about = lines.filter((l) => /maxmemory-policy/.test(String(l.message)));
    expect(about).toHaveLength(1);
    expect(about[0]!.level).toBe('info');
    expect(JSON.stringify(about[0]!.context)).toContain('NOPERM');
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });
});
