// `sluice stats <queue>`: the queue overview (src/ops/overview.ts) as a table: per group its
// counts, lag, oldest unread age, consumers, pause and rate limit; per queue its room under
// maxLength and its schedulers. --json prints the QueueOverview object itself.
import { queueOverview, type GroupOverview, type QueueOverview } from '../../ops/overview.js';
import { duration, table, time } from '../format.js';
import type { CommandSpec } from '../spec.js';

/** A group's rate limit and whether it holds starts back now: `10/1s (limited 4s)`, or `-`. */
export function limitCell(g: GroupOverview, readAt: number): string {
  const limit = g.rateLimit ? `${g.rateLimit.max}/${duration(g.rateLimit.duration)}` : '-';
  if (!g.limited.now) return limit;
  return `${limit} (limited${g.limited.until ? ` ${duration(g.limited.until - readAt)}` : ''})`;
}

/** The lag cell: unread entries, `≤` when only an upper bound. */
export function lagCell(g: GroupOverview): string {
  return `${g.lag.exact ? '' : '≤'}${g.lag.unread}`;
}

/** The overview as text. */
export function overviewText(o: QueueOverview): string {
  const head = [
    `queue ${o.name}${o.partitions > 1 ? ` (${o.partitions} partitions)` : ''}, read at ${time(o.readAt)}`,
    `max length: ${o.maxLength ?? 'none'}${o.room === null ? '' : `, room: ${o.room}`}`,
    `schedulers: ${o.schedulers.count}${o.schedulers.next ? `, next "${o.schedulers.next.key}" at ${time(o.schedulers.next.at)}` : ''}`,
    '',
  ];
  const rows = o.groups.map((g) => [
    g.name,
    g.counts.waiting,
    g.counts.active,
    g.counts.delayed,
    g.counts.completed,
    g.counts.failed,
    lagCell(g),
    duration(g.oldestUnreadAgeMs),
    g.consumers,
    g.paused ? 'yes' : 'no',
    limitCell(g, o.readAt),
  ]);
  const header = ['GROUP', 'WAITING', 'ACTIVE', 'DELAYED', 'COMPLETED', 'FAILED', 'LAG', 'OLDEST UNREAD', 'CONSUMERS', 'PAUSED', 'LIMIT'];
  const more = o.groupsTruncated ? ['', 'more groups not shown (the overview shows the first 100 by name)'] : [];
  return [...head, rows.length ? table(header, rows) : 'no groups', ...more].join('\n');
}

export const statsCommand: CommandSpec = {
  name: 'stats',
  summary: "a queue's overview: per group counts, lag, oldest unread, pause, limit; room, schedulers",
  description:
    'Shows the overview of a queue: for each consumer group its job counts by state, its lag (stream entries ' +
    'it has not read; ≤ when only an upper bound), the age of its oldest unread job, its consumers, whether it ' +
    'is paused and its rate limit (and whether the limit holds starts back now); for the queue its room under ' +
    'maxLength and its schedulers. Bounded reads only. --group shows that group alone. --json prints the ' +
    'QueueOverview object (src/ops/overview.ts).',
  args: [{ name: '<queue>', description: 'the queue' }],
  options: {},
  shared: ['group', 'json'],
  examples: ['stats orders', 'stats orders --group billing', 'stats orders --json'],
  async run(ctx, { args, values }) {
    const queue = await ctx.queue(args[0]!);
    const overview = await queueOverview(queue);
    if (values.group !== undefined) overview.groups = overview.groups.filter((g) => g.name === ctx.group);
    if (ctx.json) return ctx.printJson(overview);
    ctx.print(overviewText(overview));
  },
};

export const countsCommand: CommandSpec = {
  name: 'counts',
  summary: "a group's job counts by state (the first command of sluice; stats shows more)",
  description: "Prints a group's job counts by state (queue.getJobCounts): waiting, active, delayed, completed, failed, and paused.",
  args: [{ name: '<queue>', description: 'the queue' }],
  options: {},
  shared: ['group', 'json'],
  examples: ['counts orders', 'counts orders --group billing --json'],
  async run(ctx, { args }) {
    const queue = await ctx.queue(args[0]!);
    const counts = await queue.getJobCounts(ctx.groupOption);
    if (ctx.json) return ctx.printJson(counts);
    ctx.print(
      table(
        Object.keys(counts).map((k) => k.toUpperCase()),
        [Object.values(counts).map((v) => (typeof v === 'boolean' ? (v ? 'yes' : 'no') : v))],
      ),
    );
  },
};
