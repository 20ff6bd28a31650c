// `sluice remove` (one job) and `sluice clean` (finished jobs older than a grace time, up to a
// limit): they delete, so they ask for confirmation, and refuse without a terminal unless --yes.
import { UsageError } from '../exit-codes.js';
import { choiceOption, intOption } from '../parse.js';
import type { CommandSpec } from '../spec.js';
import { findJob } from './job.js';

export const removeCommand: CommandSpec = {
  name: 'remove',
  summary: 'delete a job (refused while a worker runs it)',
  description:
    'Deletes a job from its group (its record and its logs), whatever its state but active. A job no group has ' +
    'received yet (a delayed job, or one no group has read) is removed from the whole queue. Asks for ' +
    'confirmation (--yes). Exit 3 when there is no such job, 1 when it is active.',
  args: [
    { name: '<queue>', description: 'the queue' },
    { name: '<id>', description: 'the job id' },
  ],
  options: {},
  shared: ['group', 'json', 'yes'],
  examples: ['remove orders 42', 'remove orders 42 --group billing --yes'],
  async run(ctx, { args }) {
    const queue = await ctx.queue(args[0]!);
    const id = args[1]!;
    await findJob(ctx, queue, id);
    await ctx.confirm(`remove job "${id}" from queue "${queue.name}", group "${ctx.group}"`);
    await queue.remove(id, ctx.groupOption);
    if (ctx.json) ctx.printJson({ removed: [id] });
    else ctx.print(`removed job "${id}"`);
  },
};

export const cleanCommand: CommandSpec = {
  name: 'clean',
  summary: 'delete completed or failed jobs older than a grace time',
  description:
    "Deletes the group's completed (or failed) jobs that finished more than --grace ms ago (Redis time), at " +
    'most --limit of them, oldest first, in bounded batches. Asks for confirmation (--yes).',
  args: [{ name: '<queue>', description: 'the queue' }],
  options: {
    state: { type: 'string', value: 'state', description: 'completed or failed (required)' },
    grace: { type: 'string', value: 'ms', description: 'only jobs finished more than this many ms ago (required; 0: all)' },
    limit: { type: 'string', value: 'N', description: 'delete at most N jobs (default 1000; 0: no limit)' },
  },
  shared: ['group', 'json', 'yes'],
  examples: ['clean orders --state completed --grace 3600000 --yes', 'clean orders --state failed --grace 0 --limit 100 --yes --json'],
  async run(ctx, { args, values }) {
    const state = choiceOption(values, 'state', ['completed', 'failed'] as const);
    if (values.grace === undefined) throw new UsageError('--grace is required (ms; 0 cleans every finished job)', 'clean');
    const grace = intOption(values, 'grace', 0, 0);
    const limit = intOption(values, 'limit', 1000, 0);
    const queue = await ctx.queue(args[0]!);
    const what = `${limit === 0 ? 'every' : `up to ${limit}`} ${state} job(s) finished more than ${grace} ms ago`;
    await ctx.confirm(`delete ${what} from queue "${queue.name}", group "${ctx.group}"`);
    const removed = await queue.clean(grace, limit, state, ctx.groupOption);
    if (ctx.json) ctx.printJson({ removed });
    else ctx.print(`removed ${removed.length} ${state} job(s)`);
  },
};
