// sluice's repeating-job schedulers as Bull Board's scheduler page shows and edits them: the
// list, an edit of the schedule (the template kept), and a run now from the template.
import type { AppJobScheduler, JobSchedulerRepeatOptions, JobSchedulerUpdateResult } from '@bull-board/api/dist/types.js';
import type { Queue } from '../queue/queue.js';
import type { SchedulerInfo } from '../scheduling/schedulers.js';
import type { RepeatOptions } from '../scheduling/repeat.js';

/** A sluice scheduler under Bull Board's field names (no last-run fields: sluice names no past runs). */
export function toBoardScheduler(s: SchedulerInfo): Omit<AppJobScheduler, 'queueName'> {
  const { pattern, every, tz, limit, startDate, endDate } = s.repeat;
  return {
    id: s.key,
    name: s.name,
    ...(pattern === undefined ? {} : { pattern }),
    ...(every === undefined ? {} : { every }),
    ...(tz === undefined ? {} : { tz }),
    ...(limit === undefined ? {} : { limit }),
    ...(startDate === undefined ? {} : { startDate }),
    ...(endDate === undefined ? {} : { endDate }),
    ...(s.next === undefined ? {} : { next: s.next }),
    iterationCount: s.count,
    template: { data: s.data, opts: { ...s.opts } },
  };
}

/**
 * Changes a scheduler's schedule to `repeat` (sluice's upsertScheduler with the template it
 * has). `startDate` and `skipMissed` are kept; `immediately` is not (it would add a job now).
 */
export async function updateSchedule(queue: Queue, id: string, repeat: JobSchedulerRepeatOptions): Promise<JobSchedulerUpdateResult> {
  const current = await queue.getScheduler(id);
  if (!current) return 'not-found';
  const { startDate, skipMissed } = current.repeat;
  const next: RepeatOptions = {
    ...(startDate === undefined ? {} : { startDate }),
    ...(skipMissed ? { skipMissed } : {}),
    ...Object.fromEntries(Object.entries(repeat).filter(([, v]) => v !== undefined && v !== null)),
  };
  try {
    await queue.upsertScheduler(id, next, { name: current.name, data: current.data, opts: current.opts });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'INVALID_OPTION') return 'invalid-schedule';
    throw err;
  }
  // a schedule with no slot ahead (an end date passed, a limit reached) is gone: not a valid edit
  return (await queue.getScheduler(id)) ? 'updated' : 'invalid-schedule';
}
