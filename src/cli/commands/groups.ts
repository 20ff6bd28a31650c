// `sluice groups <queue>` (its consumer groups and where each stands in the stream) and
// `sluice schedulers <queue>` (its repeating jobs and when each fires next).
import { duration, short, table, time } from '../format.js';
import type { CommandSpec } from '../spec.js';

export const groupsCommand: CommandSpec = {
  name: 'groups',
  summary: "a queue's consumer groups: unread entries, waiting jobs, consumers",
  description:
    'Lists the consumer groups of a queue (fan-out: each receives every job) with the stream entries each has ' +
    'not read yet (≤ when only an upper bound), the jobs waiting for it, its consumers and the last entry it read. ' +
    '"implicit" marks the default group of a queue in which no group was created yet.',
  args: [{ name: '<queue>', description: 'the queue' }],
  options: {},
  shared: ['json'],
  examples: ['groups orders', 'groups orders --json'],
  async run(ctx, { args }) {
    const queue = await ctx.queue(args[0]!);
    const groups = await queue.getGroups();
    if (ctx.json) return ctx.printJson(groups);
    if (groups.length === 0) return ctx.print(`queue "${queue.name}" has no groups`);
    const rows = groups.map((g) => [
      g.name + (g.implicit ? ' (implicit)' : ''),
      `${g.unreadExact ? '' : '≤'}${g.unread}`,
      g.waiting,
      g.consumers,
      g.lastDeliveredId,
    ]);
    ctx.print(table(['GROUP', 'UNREAD', 'WAITING', 'CONSUMERS', 'LAST READ'], rows));
  },
};

export const schedulersCommand: CommandSpec = {
  name: 'schedulers',
  summary: "a queue's schedulers (repeating jobs): repeat, next run, jobs made",
  description:
    'Lists the schedulers of a queue that still have slots ahead, soonest first: the key, when it repeats, the name ' +
    'of the jobs it adds, its next slot and how many jobs it has made.',
  args: [{ name: '<queue>', description: 'the queue' }],
  options: {},
  shared: ['json'],
  examples: ['schedulers orders', 'schedulers orders --json'],
  async run(ctx, { args }) {
    const queue = await ctx.queue(args[0]!);
    const schedulers = await queue.getSchedulers();
    if (ctx.json) return ctx.printJson(schedulers);
    if (schedulers.length === 0) return ctx.print(`queue "${queue.name}" has no schedulers`);
    const now = Date.now();
    const rows = schedulers.map((s) => [
      s.key,
      short(s.repeat, 40),
      short(s.name, 24),
      s.next === undefined ? '-' : `${time(s.next)} (in ${duration(s.next - now)})`,
      s.count,
    ]);
    ctx.print(table(['KEY', 'REPEAT', 'JOB NAME', 'NEXT', 'MADE'], rows));
  },
};
