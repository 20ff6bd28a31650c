// Queue.explain (docs/explain.md), installed on Queue's prototype by Queue itself and typed by
// interface merging there, as the scheduler methods are. On a partitioned queue it asks the
// partition the job's id names first (then the others, as getJob does).
import { partitionsOfId } from '../partitions/partitioned-queue.js';
import { queueInternals } from '../queue/queue-internals.js';
import type { Queue } from '../queue/queue.js';
import { checkOptionNames, positiveInt, shown, validateGroupName } from '../validate.js';
import { explainJob, type ExplainOptions, type Explanation } from './explain.js';

/** Queue's method that says why a job is not running. */
export interface QueueExplainMethods {
  /**
   * Why job `jobId` is not running now, as data (`state`, `reason`, `details`) and one
   * plain-English sentence (`message`): waiting behind N jobs, delayed until T, waiting for its
   * retry, its ordering key held by another job, the group paused or rate limited, no worker
   * polling, running (leased until T), completed, dead-lettered, or not found. Bounded reads
   * only; it changes nothing. See docs/explain.md for every reason.
   */
  explain(jobId: string, opts?: ExplainOptions): Promise<Explanation>;
}

const methods: QueueExplainMethods & ThisType<Queue> = {
  async explain(jobId, opts = {}) {
    checkOptionNames('the options of explain()', opts, ['group', 'workerIdleMs']);
    const group = validateGroupName(opts.group ?? 'default');
    const idleMs = positiveInt('workerIdleMs', opts.workerIdleMs, 30_000, 0);
    if (typeof jobId !== 'string' || jobId === '' || jobId.length > 256)
      return {
        jobId: shown(jobId),
        group,
        state: 'unknown',
        reason: 'not-found',
        message: `Job ${shown(jobId)} was not found.`,
        details: {},
      };
    const parts = await queueInternals(this).partitions();
    const { first, others } = parts.length > 1 ? partitionsOfId(jobId, parts.length) : { first: 0, others: [] };
    let answer: Explanation | undefined;
    for (const p of [first, ...others]) {
      const part = queueInternals(parts[p]!);
      answer = await explainJob({ client: part.client, keys: part.keys }, jobId, group, idleMs);
      if (answer.reason !== 'not-found') return parts.length > 1 ? { ...answer, details: { ...answer.details, partition: p } } : answer;
    }
    return answer!;
  },
};

/** Installs explain on Queue's prototype (before it is routed to partitions). */
export function addExplainMethod(cls: { prototype: object }): void {
  Object.assign(cls.prototype, methods);
}
