// `sluice workers <queue>`: the workers of a group, their host, pid, concurrency, jobs running
// and last heartbeat. The list is the live registry (queue.getWorkers, docs/metrics.md).
import { duration, table } from '../format.js';
import type { CommandSpec } from '../spec.js';

export const workersCommand: CommandSpec = {
  name: 'workers',
  summary: "a group's workers: host, pid, concurrency, running, last heartbeat",
  description:
    'Lists the workers of a group that reported recently: their name, host and pid, concurrency, the jobs ' +
    'they run now and when they last reported.',
  args: [{ name: '<queue>', description: 'the queue' }],
  options: {},
  shared: ['group', 'json'],
  examples: ['workers orders', 'workers orders --group billing --json'],
  async run(ctx, { args }) {
    const queue = await ctx.queue(args[0]!);
    const workers = await queue.getWorkers(ctx.groupOption);
    if (ctx.json) return ctx.printJson(workers);
    if (workers.length === 0) return ctx.print(`no workers of queue "${queue.name}", group "${ctx.group}"`);
    const now = Date.now();
    const rows = workers.map((w) => [w.name, w.host, w.pid, w.group, w.concurrency, w.running, `${duration(now - w.lastHeartbeat)} ago`]);
    ctx.print(table(['NAME', 'HOST', 'PID', 'GROUP', 'CONCURRENCY', 'RUNNING', 'LAST HEARTBEAT'], rows));
  },
};
