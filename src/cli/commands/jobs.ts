// `sluice jobs <queue> <state>`: one bounded page of a state's jobs (queue.getJobsPage), and the
// cursor of the next page to pass back with --cursor.
import { JOB_STATES, type JobState } from '../../job/job-state.js';
import { UsageError } from '../exit-codes.js';
import { duration, short, table, time } from '../format.js';
import { intOption, stringOption } from '../parse.js';
import type { CommandSpec } from '../spec.js';
import { jobRecord } from '../../ops/job-record.js';

export const jobsCommand: CommandSpec = {
  name: 'jobs',
  summary: "one page of a state's jobs (waiting, active, delayed, completed, failed)",
  description:
    "Lists one page of a group's jobs in a state, in the state's order (waiting: the order they will run; " +
    'delayed: soonest first; active: by lease deadline; completed and failed: newest first). Every page costs ' +
    'the same however deep: the next page is asked for with the cursor printed at the end (--cursor).',
  args: [
    { name: '<queue>', description: 'the queue' },
    { name: '<state>', description: JOB_STATES.join(' | ') },
  ],
  options: {
    limit: { type: 'string', value: 'N', description: 'jobs per page, 1 to 1000 (default 20)' },
    cursor: { type: 'string', value: 'cursor', description: 'the page to read: the cursor the previous page printed' },
  },
  shared: ['group', 'json'],
  examples: ['jobs orders failed', 'jobs orders waiting --limit 100 --json', 'jobs orders completed --cursor 20'],
  async run(ctx, { args, values }) {
    const state = args[1]!;
    if (!(JOB_STATES as readonly string[]).includes(state)) {
      throw new UsageError(`unknown state "${state}": one of ${JOB_STATES.join(', ')}`, 'jobs');
    }
    const count = intOption(values, 'limit', 20, 1, 1000);
    const cursor = stringOption(values, 'cursor');
    const queue = await ctx.queue(args[0]!);
    const page = await queue.getJobsPage(state as JobState, { count, ...(cursor === undefined ? {} : { cursor }), ...ctx.groupOption });
    const jobs = page.jobs.map((j) => jobRecord(j, state));
    if (ctx.json) return ctx.printJson({ queue: queue.name, group: ctx.group, state, jobs, next: page.next });
    if (jobs.length === 0) ctx.print(`no ${state} jobs in queue "${queue.name}" (group "${ctx.group}")`);
    else {
      const now = Date.now();
      const rows = jobs.map((j) => [
        j.id,
        short(j.name, 24),
        duration(now - j.timestamp),
        j.attemptsMade,
        j.deliveries,
        time(j.finishedOn ?? j.processedOn),
        short(j.failedReason ?? j.data, 50),
      ]);
      ctx.print(table(['ID', 'NAME', 'AGE', 'ATTEMPTS', 'DELIVERIES', 'LAST RUN', state === 'failed' ? 'FAILURE' : 'DATA'], rows));
    }
    if (page.next !== null) {
      const more = [values.limit === undefined ? '' : ` --limit ${count}`, ctx.group === 'default' ? '' : ` --group ${ctx.group}`].join('');
      ctx.print(`next page: sluice jobs ${queue.name} ${state}${more} --cursor ${page.next}`);
    }
  },
};
