// Flows on queues with fan-out groups, against a real Redis (docs/flows.md, "Which completion
// counts"): a child counts for its parent once, when its queue's default group completes it;
// the other groups get the child and handle it as any job, and what they do (complete it, or
// fail it for good) does not reach the parent. A queue whose groups leave out `default` cannot
// take part in a flow.
import { describe, expect, it } from 'vitest';
import { FlowProducer, FlowRefusedError, UnrecoverableError } from '../../src/index.js';
import { quietLogger, useRedis } from '../helpers/setup.js';
import { waitFor } from '../helpers/wait.js';

describe('flows with fan-out groups', () => {
  const t = useRedis();
  const flows = () => t.track(new FlowProducer({ connection: t.url, prefix: t.prefix, logger: quietLogger }));

  it("only the default group's completion counts for the parent; another group's completions and failures do not", async () => {
    t.newPrefix();
    const thumbs = t.queue('thumbs');
    await thumbs.createGroup('default');
    await thumbs.createGroup('audit');
    const album = t.queue('album');
    const { job: parent, children } = await flows().add({
      name: 'album',
      queueName: 'album',
      children: ['c0', 'c1'].map((name) => ({ name, queueName: 'thumbs', opts: { attempts: 1 } })),
    });
    const ids = children!.map((c) => c.job.id);
    const parentRuns: Record<string, unknown>[] = [];
    t.worker('album', async (job) => {
      parentRuns.push(await job.getChildrenValues());
      return 'album done';
    });

    // the audit group completes c0 and fails c1 for good: the parent hears of neither
    const audited: string[] = [];
    const audit = t.worker(
      'thumbs',
      async (job) => {
        if (job.name === 'c1') throw new UnrecoverableError('audit refuses c1');
        return { by: 'audit', name: job.name };
      },
      { group: 'audit' },
    );
    audit.on('completed', (job) => audited.push(`completed:${job.name}`));
    audit.on('failed', (job) => job && audited.push(`failed:${job.name}`));
    await waitFor(() => audited.length === 2, 10_000, 'the audit group finished both children');
    expect(audited.sort()).toEqual(['completed:c0', 'failed:c1']);
    expect(await thumbs.getJobCounts('completed', 'failed', { group: 'audit' })).toEqual({ completed: 1, failed: 1 });
    // the acks that finished them are the calls that would have counted them
    const waiting = await album.getJob(parent.id);
    expect(await waiting!.getState()).toBe('waiting-children');
    expect(await waiting!.getDependenciesCount()).toEqual({ processed: 0, unprocessed: 2, failed: 0 });
    expect(await album.getJobCounts('waiting-children')).toEqual({ 'waiting-children': 1 });
    expect(parentRuns).toEqual([]);
    // the default group still has both children waiting
    expect((await thumbs.getJobIds('waiting')).sort()).toEqual([...ids].sort());

    // the default group completes them: the parent runs, with the default group's values
    t.worker('thumbs', async (job) => ({ by: 'default', name: job.name }));
    await waitFor(() => parentRuns.length === 1, 10_000, 'the parent ran');
    const values = Object.values(parentRuns[0]!) as { by: string; name: string }[];
    expect(values.map((v) => `${v.by}:${v.name}`).sort()).toEqual(['default:c0', 'default:c1']);
    await waitFor(async () => (await (await album.getJob(parent.id))!.getState()) === 'completed', 10_000, 'the parent completed');
    expect((await album.getJob(parent.id))!.returnvalue).toBe('album done');
  });

  it('a queue whose groups leave out default is refused in a flow, and nothing is added', async () => {
    t.newPrefix();
    const solo = t.queue('solo');
    await solo.createGroup('only', { keepDefault: false });
    const refused = flows().add({ name: 'p', queueName: 'solo-parent', children: [{ name: 'c', queueName: 'solo' }] });
    await expect(refused).rejects.toBeInstanceOf(FlowRefusedError);
    await expect(refused).rejects.toMatchObject({ reason: 'queue' });
    expect(await t.queue('solo-parent').getJobCounts()).toMatchObject({ waiting: 0, 'waiting-children': 0 });
    expect(await solo.getJobCounts({ group: 'only' })).toMatchObject({ waiting: 0 });
  });
});
