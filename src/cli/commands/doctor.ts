// `sluice doctor`: checks the Redis sluice runs on (doctor-server.ts) and the queues under the
// prefix: stuck groups (jobs waiting that nobody reads) and groups that pin the stream (far
// behind the others, they keep the entries of every group). Each finding has a severity and
// what to do; the exit code is 1 when one is an error.
import { listQueues } from '../../ops/queue-registry.js';
import type { Queue } from '../../queue/queue.js';
import { queueOverview, type QueueOverview } from '../../ops/overview.js';
import { openQueue, redactUrl } from '../connect.js';
import { EXIT } from '../exit-codes.js';
import { duration } from '../format.js';
import { intOption } from '../parse.js';
import type { CommandSpec } from '../spec.js';
import { serverFindings, type Finding } from './doctor-server.js';

/** The most queues doctor reads (the first by name); the others are counted in a finding. */
export const MAX_DOCTOR_QUEUES = 200;

/** Thresholds of the queue checks. */
interface Limits {
  stuckAfterMs: number;
  pinLag: number;
}

/** Stuck groups and stream-pinning groups of one queue. */
export function queueFindings(o: QueueOverview, limits: Limits): Finding[] {
  const findings: Finding[] = [];
  for (const g of o.groups) {
    const age = g.oldestUnreadAgeMs;
    if (g.paused || g.counts.waiting === 0 || age === null || age < limits.stuckAfterMs) continue;
    const where = `queue "${o.name}", group "${g.name}"`;
    const value = `${g.counts.waiting} waiting, oldest unread ${duration(age)}`;
    findings.push(
      g.consumers === 0
        ? {
            check: 'stuck-queue',
            severity: 'error',
            value,
            message: `${where}: jobs wait and no worker has ever consumed the group`,
            fix: `start workers for it (group "${g.name}"), or remove the group if nothing should consume it`,
          }
        : {
            check: 'stuck-queue',
            severity: 'warning',
            value,
            message: `${where}: no worker has read a job for ${duration(age)} (workers gone, busy or limited)`,
            fix: 'check its workers (sluice workers), their concurrency and its rate limit',
          },
    );
  }
  if (o.groups.length > 1) {
    const least = Math.min(...o.groups.map((g) => g.lag.unread));
    for (const g of o.groups) {
      const behind = g.lag.unread - least;
      const old = g.oldestUnreadAgeMs !== null && g.oldestUnreadAgeMs >= limits.stuckAfterMs;
      if (behind < limits.pinLag && !(old && behind > 0)) continue;
      findings.push({
        check: 'pinned-stream',
        severity: 'warning',
        value: `${g.lag.unread} unread, oldest ${duration(g.oldestUnreadAgeMs)}`,
        message:
          `queue "${o.name}": group "${g.name}" is far behind the others; ` +
          'the stream keeps every entry it has not read, for every group',
        fix: `run its workers, or remove it (queue.removeGroup("${g.name}")) if nothing consumes it`,
      });
    }
  }
  return findings;
}

const MARK: Record<Finding['severity'], string> = { ok: 'ok', info: 'info', warning: 'WARNING', error: 'ERROR' };

export const doctorCommand: CommandSpec = {
  name: 'doctor',
  summary: 'check Redis (version, eviction, persistence, memory, latency, slow scripts) and the queues',
  description:
    'Checks what sluice needs from Redis: version (7.0 or newer), maxmemory-policy (must be noeviction), ' +
    'persistence (AOF/RDB), memory headroom, cluster mode, latency (PING median and max) and slow scripts ' +
    '(the last 32 SLOWLOG entries). Then the queues under the prefix (the first 200): stuck groups (jobs waiting, ' +
    'oldest unread older than --stuck-after, nobody consuming) and groups that pin the stream (--lag entries or ' +
    'more behind the others). What CONFIG or SLOWLOG refuse (managed Redis) is reported as unknown. Exits 1 when ' +
    'a finding is an error.',
  args: [],
  options: {
    'stuck-after': { type: 'string', value: 'ms', description: 'a group whose oldest unread job is older is stuck (default 300000)' },
    lag: { type: 'string', value: 'N', description: 'a group this many entries behind the others pins the stream (default 10000)' },
  },
  shared: ['json'],
  examples: ['doctor', 'doctor --url rediss://cache.example.com:6380 --json', 'doctor --stuck-after 60000 --lag 1000'],
  async run(ctx, { values }) {
    const limits = { stuckAfterMs: intOption(values, 'stuck-after', 300_000, 0), pinLag: intOption(values, 'lag', 10_000, 1) };
    const client = await ctx.redis();
    const findings = await serverFindings(client);
    const names = await listQueues(client, ctx.prefix);
    const checked = names.slice(0, MAX_DOCTOR_QUEUES);
    for (const name of checked) {
      let queue: Queue | undefined;
      try {
        queue = openQueue(client, ctx.prefix, name);
        findings.push(...queueFindings(await queueOverview(queue), limits));
      } catch (err) {
        // one unreadable queue (a bad name in the registry, a refused read) does not stop the others
        const message = `queue "${name}" could not be read: ${(err as Error).message}`;
        findings.push({
          check: 'queue-read',
          severity: 'warning',
          value: name,
          message,
          fix: 'look at its keys; remove a bad registry entry',
        });
      } finally {
        await queue?.close();
      }
    }
    const queuesFine = !findings.some((f) => f.check === 'stuck-queue' || f.check === 'pinned-stream');
    const left = names.length - checked.length;
    findings.push({
      check: 'queues',
      severity: left > 0 ? 'info' : 'ok',
      value: `${checked.length} checked`,
      message:
        `${checked.length} queue(s) under prefix "${ctx.prefix}"` +
        (queuesFine ? ': none stuck, none pinning its stream' : '') +
        (left > 0 ? `; ${left} more not checked` : ''),
      ...(left > 0 ? { fix: `doctor checks the first ${MAX_DOCTOR_QUEUES} by name` } : {}),
    });
    const errors = findings.filter((f) => f.severity === 'error').length;
    const warnings = findings.filter((f) => f.severity === 'warning').length;
    if (errors > 0) ctx.exitCode = EXIT.error;
    if (ctx.json) return ctx.printJson({ url: redactUrl(ctx.url), prefix: ctx.prefix, errors, warnings, findings });
    ctx.print(`sluice doctor  ${redactUrl(ctx.url)}  prefix ${ctx.prefix}`);
    const width = Math.max(...findings.map((f) => f.check.length));
    for (const f of findings) {
      ctx.print(`  ${MARK[f.severity].padEnd(7)}  ${f.check.padEnd(width)}  ${f.value}: ${f.message}`);
      if (f.fix && f.severity !== 'ok') ctx.print(`  ${''.padEnd(7)}  ${''.padEnd(width)}  fix: ${f.fix}`);
    }
    ctx.print(`${errors} error(s), ${warnings} warning(s)`);
  },
};
