// Every command of the CLI, in the order `sluice --help` lists them.
import { doctorCommand } from './commands/doctor.js';
import { groupsCommand, schedulersCommand } from './commands/groups.js';
import { jobCommand, logsCommand } from './commands/job.js';
import { jobsCommand } from './commands/jobs.js';
import { pauseCommand, resumeCommand } from './commands/pause.js';
import { queuesCommand } from './commands/queues.js';
import { promoteCommand, retryCommand } from './commands/redrive.js';
import { cleanCommand, removeCommand } from './commands/remove.js';
import { serveCommand } from './commands/serve.js';
import { countsCommand, statsCommand } from './commands/stats.js';
import { topCommand } from './commands/top.js';
import { workersCommand } from './commands/workers.js';
import type { CommandSpec } from './spec.js';

export const COMMANDS: CommandSpec[] = [
  queuesCommand,
  statsCommand,
  countsCommand,
  jobsCommand,
  jobCommand,
  logsCommand,
  retryCommand,
  removeCommand,
  promoteCommand,
  pauseCommand,
  resumeCommand,
  cleanCommand,
  groupsCommand,
  schedulersCommand,
  workersCommand,
  topCommand,
  doctorCommand,
  serveCommand,
];

/** The command of that name, or undefined. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
