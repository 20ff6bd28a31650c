// `sluice top`: a live view of every queue and group under the prefix (counts, lag, oldest
// unread, consumers, limited, paused), read with the bounded overview and redrawn in place
// (ANSI) every interval; q or Ctrl-C quits. Without a terminal it prints one frame after the
// other; --json prints one JSON line per refresh; --iterations N stops after N refreshes.
import type { Queue } from '../../queue/queue.js';
import { listQueues } from '../../ops/queue-registry.js';
import { queueOverview, type QueueOverview } from '../../ops/overview.js';
import { openQueue, redactUrl } from '../connect.js';
import type { CommandContext } from '../context.js';
import { duration, table } from '../format.js';
import { intOption } from '../parse.js';
import type { CommandSpec } from '../spec.js';
import { lagCell, limitCell } from './stats.js';

/** The most queues one frame reads (the first by name); the others are counted. */
export const MAX_TOP_QUEUES = 50;

/** One refresh: the overviews of the first queues, and how many were left out. */
interface Frame {
  readAt: number;
  queues: QueueOverview[];
  more: number;
}

function frameText(ctx: CommandContext, frame: Frame, live: boolean): string[] {
  const clock = new Date(frame.readAt).toISOString().slice(11, 19);
  const title = `sluice top  ${redactUrl(ctx.url)}  prefix ${ctx.prefix}  ${clock} UTC${live ? '  (q quits)' : ''}`;
  const rows = frame.queues.flatMap((o) =>
    o.groups.map((g) => [
      o.name,
      g.name,
      g.counts.waiting,
      g.counts.active,
      g.counts.delayed,
      g.counts.failed,
      lagCell(g),
      duration(g.oldestUnreadAgeMs),
      g.consumers,
      limitCell(g, o.readAt),
      g.paused ? 'paused' : '',
    ]),
  );
  const header = ['QUEUE', 'GROUP', 'WAITING', 'ACTIVE', 'DELAYED', 'FAILED', 'LAG', 'OLDEST UNREAD', 'CONSUMERS', 'LIMIT', 'PAUSED'];
  const body = rows.length > 0 ? table(header, rows).split('\n') : [`no queues under prefix "${ctx.prefix}"`];
  const more = frame.more > 0 ? [`… and ${frame.more} more queue(s) (top shows the first ${MAX_TOP_QUEUES} by name)`] : [];
  return [title, '', ...body, ...more];
}

/** Resolves after `ms`, or at once when `stop` fires. */
function pause(ms: number, stop: { promise: Promise<void> }): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (timer = setTimeout(r, ms))), stop.promise]).finally(() => clearTimeout(timer));
}

export const topCommand: CommandSpec = {
  name: 'top',
  summary: 'a live view of every queue and group, refreshed each second (q quits)',
  description:
    'Shows every queue under the prefix (the first 50 by name) and each of its groups: waiting, active, ' +
    'delayed and failed jobs, lag, oldest unread job, consumers, rate limit and pause, redrawn in place every ' +
    'second. q or Ctrl-C quits. Without a terminal each refresh is printed after the previous one; with ' +
    '--json each is one line of JSON ({ readAt, queues: QueueOverview[], more }).',
  args: [],
  options: {
    iterations: { type: 'string', value: 'N', description: 'stop after N refreshes (default: until q or Ctrl-C)' },
    interval: { type: 'string', value: 'ms', description: 'time between refreshes (default 1000, at least 100)' },
  },
  shared: ['json'],
  examples: ['top', 'top --prefix billing --interval 2000', 'top --iterations 1 --json'],
  async run(ctx, { values }) {
    const iterations = intOption(values, 'iterations', 0, 1);
    const interval = intOption(values, 'interval', 1000, 100);
    const client = await ctx.redis();
    const { stdout, stdin } = ctx.io;
    const live = stdout.isTTY === true && !ctx.json;
    let quit!: () => void;
    const stop = { promise: new Promise<void>((r) => (quit = r)), done: false };
    stop.promise.then(() => (stop.done = true));
    const onKey = (data: Buffer | string) => {
      const key = String(data);
      if (key === 'q' || key === 'Q' || key === '\u0003') quit();
    };
    const keys = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
    if (keys) {
      stdin.setRawMode!(true);
      stdin.on('data', onKey);
      stdin.resume();
    }
    process.once('SIGINT', quit);
    const queues = new Map<string, Queue>();
    // a queue that cannot be read (a bad name in the registry) is left out of the frame
    const overviewOf = async (name: string): Promise<QueueOverview> => {
      let queue = queues.get(name);
      if (!queue) queues.set(name, (queue = openQueue(client, ctx.prefix, name)));
      return queueOverview(queue);
    };
    try {
      if (live) stdout.write('\u001b[?25l\u001b[2J');
      for (let i = 0; !stop.done && (iterations === 0 || i < iterations); i++) {
        if (i > 0) await pause(interval, stop);
        if (stop.done) break;
        const names = await listQueues(client, ctx.prefix);
        const shown = names.slice(0, MAX_TOP_QUEUES);
        const read = await Promise.all(shown.map((name) => overviewOf(name).catch(() => null)));
        const overviews = read.filter((o): o is QueueOverview => o !== null);
        const [seconds, micros] = (await client.time()) as unknown as [string, string];
        const frame: Frame = {
          readAt: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000),
          queues: overviews,
          more: names.length - shown.length,
        };
        if (ctx.json) stdout.write(`${JSON.stringify(frame)}\n`);
        else if (live) stdout.write(`\u001b[H${frameText(ctx, frame, true).join('\u001b[K\n')}\u001b[K\n\u001b[J`);
        else stdout.write(`${frameText(ctx, frame, false).join('\n')}\n\n`);
      }
    } finally {
      if (live) stdout.write('\u001b[?25h');
      process.removeListener('SIGINT', quit);
      if (keys) {
        stdin.removeListener('data', onKey);
        stdin.setRawMode!(false);
        stdin.pause();
      }
      await Promise.allSettled([...queues.values()].map((q) => q.close()));
    }
  },
};
