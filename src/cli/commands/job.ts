// `sluice job <queue> <id>` (a job's whole record, and with --explain why it is where it is)
// and `sluice logs <queue> <id>` (the lines its processor logged). A job the group does not
// have is "not found" (exit 3).
import type { Job } from '../../job/job.js';
import type { Queue } from '../../queue/queue.js';
import { NotFoundError } from '../exit-codes.js';
import { block, duration, fields, time } from '../format.js';
import type { Explanation } from '../../ops/explain.js';
import { jobRecord, type JobRecord } from '../../ops/job-record.js';
import type { CommandContext } from '../context.js';
import type { CommandSpec } from '../spec.js';

/** The job, or NotFoundError naming the queue and group. */
export async function findJob(ctx: CommandContext, queue: Queue, id: string): Promise<Job> {
  const job = await queue.getJob(id, ctx.groupOption);
  if (!job) throw new NotFoundError(`no job "${id}" in queue "${queue.name}" (group "${ctx.group}")`);
  return job;
}

function recordText(r: JobRecord, explanation: Explanation | undefined): string {
  const lines = [
    fields([
      ['job', r.id],
      ['name', r.name],
      ['group', r.group],
      ['state', r.state],
      ['added', `${time(r.timestamp)}${r.timestamp ? ` (${duration(Date.now() - r.timestamp)} ago)` : ''}`],
      ['attempts made', String(r.attemptsMade)],
      ['deliveries', String(r.deliveries)],
      ['stalls', String(r.stalls)],
      ['progress', JSON.stringify(r.progress)],
      ['processed on', time(r.processedOn)],
      ['finished on', time(r.finishedOn)],
    ]),
    'data:',
    block(r.data),
    'options:',
    block(r.opts),
  ];
  if (r.returnvalue !== null) lines.push('return value:', block(r.returnvalue));
  if (r.failedReason !== null) lines.push(`failure: ${r.failedReason}`);
  if (r.stacktrace.length > 0) lines.push('stack:', ...r.stacktrace.map((l) => `  ${l}`));
  if (explanation) {
    lines.push(`explain: ${explanation.state}: ${explanation.reason}`, `  ${explanation.message}`);
    if (explanation.details !== undefined) lines.push(block(explanation.details));
  }
  return lines.join('\n');
}

export const jobCommand: CommandSpec = {
  name: 'job',
  summary: "a job's record: state, data, options, attempts, deliveries, stalls, progress, failure, stack",
  description:
    'Shows one job as its group sees it: state, name, data, options, attempts made, deliveries, stalls, ' +
    'progress, return value, failure and stack trace, and when it was added, started and finished. ' +
    '--explain adds why the job is in its state (and what it waits for). Exit 3 when the group has no such job.',
  args: [
    { name: '<queue>', description: 'the queue' },
    { name: '<id>', description: 'the job id' },
  ],
  options: { explain: { type: 'boolean', description: 'also say why the job is where it is (what it waits for)' } },
  shared: ['group', 'json'],
  examples: ['job orders 42', 'job orders 1718000000000-0 --group billing --json', 'job orders 42 --explain'],
  async run(ctx, { args, values }) {
    const queue = await ctx.queue(args[0]!);
    const job = await findJob(ctx, queue, args[1]!);
    const record = jobRecord(job, await job.getState());
    const explanation = values.explain === true ? await queue.explain(job.id, ctx.groupOption) : undefined;
    if (ctx.json) return ctx.printJson(explanation ? { ...record, explain: explanation } : record);
    ctx.print(recordText(record, explanation));
  },
};

export const logsCommand: CommandSpec = {
  name: 'logs',
  summary: 'the lines a job logged (job.log), oldest first',
  description: "Prints a job's log lines (written by its processor with job.log; the newest 1,000 are kept), oldest first.",
  args: [
    { name: '<queue>', description: 'the queue' },
    { name: '<id>', description: 'the job id' },
  ],
  options: {},
  shared: ['group', 'json'],
  examples: ['logs orders 42', 'logs orders 42 --json'],
  async run(ctx, { args }) {
    const queue = await ctx.queue(args[0]!);
    const job = await findJob(ctx, queue, args[1]!);
    const logs = await job.getLogs();
    if (ctx.json) return ctx.printJson({ id: job.id, group: job.group, logs });
    if (logs.length === 0) return ctx.print(`job "${job.id}" has no log lines`);
    for (const line of logs) ctx.print(line);
  },
};
