// `sluice retry` and `sluice promote`: run jobs again or now. One job by id (its state checked
// first: a job in another state is an error, exit 1), or in bulk (`retry --all-failed`,
// `promote --all`, bounded batches), which asks for confirmation (--yes).
import { CliError, UsageError } from '../exit-codes.js';
import type { CommandContext } from '../context.js';
import type { CommandInput, CommandSpec } from '../spec.js';
import { findJob } from './job.js';

/** The job id, or the bulk flag: exactly one of them. */
function target(input: CommandInput, flag: string, command: string): string | undefined {
  const id = input.args[1];
  const all = input.values[flag] === true;
  if (id !== undefined && all) throw new UsageError(`give a job id or --${flag}, not both`, command);
  if (id === undefined && !all) throw new UsageError(`missing <id> (or --${flag})`, command);
  return id;
}

function done(ctx: CommandContext, key: string, count: number, text: string): void {
  if (ctx.json) ctx.printJson({ [key]: count });
  else ctx.print(text);
}

export const retryCommand: CommandSpec = {
  name: 'retry',
  summary: 'run a failed (or completed) job again, or every failed job with --all-failed',
  description:
    "Runs a finished job again: it goes to the back of its group's line with its attempts, failure and result " +
    'cleared. With an id, the job must be failed or completed. --all-failed retries every failed job of the ' +
    'group, in bounded batches (jobs failing meanwhile are not picked up); it asks for confirmation (--yes).',
  args: [
    { name: '<queue>', description: 'the queue' },
    { name: '<id>', description: 'the job id (or --all-failed)', optional: true },
  ],
  options: { 'all-failed': { type: 'boolean', description: 'retry every failed job of the group' } },
  shared: ['group', 'json', 'yes'],
  examples: ['retry orders 42', 'retry orders --all-failed --yes', 'retry orders --all-failed --group billing --yes --json'],
  async run(ctx, input) {
    const id = target(input, 'all-failed', 'retry');
    const queue = await ctx.queue(input.args[0]!);
    if (id === undefined) {
      const failed = (await queue.getJobCounts(ctx.groupOption)).failed;
      await ctx.confirm(`retry every failed job (${failed}) of queue "${queue.name}", group "${ctx.group}"`);
      const n = await queue.retryJobs({ state: 'failed', ...ctx.groupOption });
      return done(ctx, 'retried', n, `retried ${n} failed job(s)`);
    }
    const job = await findJob(ctx, queue, id);
    const state = await job.getState();
    if (state !== 'failed' && state !== 'completed') {
      throw new CliError(`job "${id}" is ${state}: only failed or completed jobs can be retried`);
    }
    await job.retry(state);
    done(ctx, 'retried', 1, `job "${id}" (${state}) is waiting to run again`);
  },
};

export const promoteCommand: CommandSpec = {
  name: 'promote',
  summary: 'run a delayed job (or a retry in backoff) now, or every one with --all',
  description:
    'Makes a delayed job, or a job waiting out the backoff before a retry, wait to run at once, whatever its ' +
    'due time. --all promotes every delayed job of the queue and every retry of the group, earliest due ' +
    'first, in bounded batches; it asks for confirmation (--yes).',
  args: [
    { name: '<queue>', description: 'the queue' },
    { name: '<id>', description: 'the job id (or --all)', optional: true },
  ],
  options: { all: { type: 'boolean', description: 'promote every delayed job and retry' } },
  shared: ['group', 'json', 'yes'],
  examples: ['promote orders 42', 'promote orders --all --yes'],
  async run(ctx, input) {
    const id = target(input, 'all', 'promote');
    const queue = await ctx.queue(input.args[0]!);
    if (id === undefined) {
      const delayed = (await queue.getJobCounts(ctx.groupOption)).delayed;
      await ctx.confirm(`promote every delayed job (${delayed}) of queue "${queue.name}", group "${ctx.group}"`);
      const n = await queue.promoteJobs(ctx.groupOption);
      return done(ctx, 'promoted', n, `promoted ${n} job(s)`);
    }
    const job = await findJob(ctx, queue, id);
    const state = await job.getState();
    if (state !== 'delayed') throw new CliError(`job "${id}" is ${state}: only delayed jobs can be promoted`);
    await job.promote();
    done(ctx, 'promoted', 1, `job "${id}" is waiting to run now`);
  },
};
