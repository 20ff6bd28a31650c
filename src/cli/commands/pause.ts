// `sluice pause <queue>` and `sluice resume <queue>`: stop (or let again) a group's workers in
// every process from starting jobs; jobs running finish.
import type { CommandSpec } from '../spec.js';

function pauseSpec(name: 'pause' | 'resume'): CommandSpec {
  const pausing = name === 'pause';
  return {
    name,
    summary: pausing ? "stop a group's workers from starting jobs" : "let a paused group's workers start jobs again",
    description: pausing
      ? 'Pauses the group: its workers, in every process, start no job until resume; running jobs finish. Adds still work.'
      : 'Resumes a paused group: its workers start jobs again at once.',
    args: [{ name: '<queue>', description: 'the queue' }],
    options: {},
    shared: ['group', 'json'],
    examples: [`${name} orders`, `${name} orders --group billing`],
    async run(ctx, { args }) {
      const queue = await ctx.queue(args[0]!);
      if (pausing) await queue.pause(ctx.groupOption);
      else await queue.resume(ctx.groupOption);
      const paused = await queue.isPaused(ctx.groupOption);
      if (ctx.json) ctx.printJson({ queue: queue.name, group: ctx.group, paused });
      else ctx.print(`queue "${queue.name}", group "${ctx.group}": ${paused ? 'paused' : 'running'}`);
    },
  };
}

export const pauseCommand = pauseSpec('pause');
export const resumeCommand = pauseSpec('resume');
