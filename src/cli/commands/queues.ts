// `sluice queues`: the queues under a prefix, from the registry (one bounded set), or with
// --scan from a walk of the keyspace that also lists the queues the registry lacks.
import { findQueues, listQueues } from '../../ops/queue-registry.js';
import type { CommandSpec } from '../spec.js';

export const queuesCommand: CommandSpec = {
  name: 'queues',
  summary: 'list the queues under the prefix',
  description:
    'Lists the queues registered under the prefix (every Queue registers its name when it gets ready). ' +
    '--scan walks the whole keyspace (SCAN, in steps of 1,000 keys) for queues the registry lacks, ' +
    'such as queues written by older versions, and registers them: O(keyspace), for an explicit request.',
  args: [],
  options: { scan: { type: 'boolean', description: 'walk the keyspace for unregistered queues too (slow on a big Redis)' } },
  shared: ['json'],
  examples: ['queues', 'queues --prefix billing --json', 'queues --scan'],
  async run(ctx, { values }) {
    const client = await ctx.redis();
    const queues = values.scan === true ? await findQueues(client, ctx.prefix) : await listQueues(client, ctx.prefix);
    if (ctx.json) return ctx.printJson({ prefix: ctx.prefix, queues });
    if (queues.length === 0) {
      const hint = values.scan === true ? '' : ' (try --scan for queues written before the registry)';
      return ctx.print(`no queues under prefix "${ctx.prefix}"${hint}`);
    }
    for (const name of queues) ctx.print(name);
  },
};
