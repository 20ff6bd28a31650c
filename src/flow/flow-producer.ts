// FlowProducer: adds flows, trees of jobs in which a parent runs once its children are done
// (fan-in). One add-flow.lua call adds a flow of up to FLOW_CHUNK jobs atomically. A larger one
// is atomic too, without a call that does work in proportion to it: its chunks (parents first)
// are written held, unseen, and the last call commits it; then place-flow.lua calls place it,
// FLOW_CHUNK jobs at a time (lua/includes/flowPlace.lua; docs/flows.md). The queues of a flow
// may differ; on a Redis Cluster they must share a slot.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { FlowRefusedError, InvalidOptionError } from '../errors.js';
import { FLOW_CHUNK } from '../limits.js';
import { childLogger, defaultLogger, type Logger } from '../logger.js';
import { queueInternals, type QueueInternals } from '../queue/queue-internals.js';
import { Queue } from '../queue/queue.js';
import { isClusterClient, keySlot } from '../redis/cluster.js';
import { closeClient, createClient, type ConnectionInput } from '../redis/connection.js';
import { ControlScripts, type FlowStage } from '../redis/control-scripts.js';
import { sendAgainIfEnded } from '../redis/revival.js';
import { guardRedisErrors, trackConnection } from '../redis/redis-errors.js';
import type { Arg } from '../redis/script-caller.js';
import { checkOptionNames, positiveInt } from '../validate.js';
import { planFlow, type PlannedJob } from './flow-plan.js';
import type { FlowAddOptions, FlowJob, JobNode } from './flow-types.js';

/** Options of a {@link FlowProducer}. */
export interface FlowProducerOptions {
  /** Where Redis is: as for a Queue (a URL, ioredis options, or your ioredis client, which stays yours). */
  connection: ConnectionInput;
  /** The key prefix of the queues. @default 'sluice' */
  prefix?: string;
  /** A pino-style logger. @default pino at level info */
  logger?: Logger;
}

const OPTION_NAMES = ['connection', 'prefix', 'logger'] as const;
const ADD_OPTION_NAMES = ['queuesOptions'] as const;

/**
 * Adds flows: trees of jobs in which a parent runs only once its children have completed, and
 * reads their results (`job.getChildrenValues()`). Children run first, in any queues; a child
 * that fails for good fails its parent unless its `onFailure` says otherwise.
 *
 * @example An image pipeline: one thumbnail per size, then a job that collects them
 * ```ts
 * const flows = new FlowProducer({ connection });
 * const { job } = await flows.add({
 *   name: 'publish', queueName: 'images', data: { image: 'cat.png' },
 *   children: [320, 640, 1280].map((width) => ({ name: 'thumbnail', queueName: 'thumbnails', data: { image: 'cat.png', width } })),
 * });
 * // in the images worker: const sizes = Object.values(await job.getChildrenValues());
 * ```
 */
export class FlowProducer {
  static {
    guardRedisErrors(FlowProducer, (producer) => producer.client);
  }
  private readonly client: Redis;
  private readonly owned: boolean;
  private readonly prefix: string | undefined;
  private readonly logger: Logger;
  private readonly queues = new Map<string, Queue<unknown, unknown>>();
  private closed = false;

  /** @throws {InvalidOptionError} an unknown or invalid option. */
  constructor(private readonly opts: FlowProducerOptions) {
    checkOptionNames('FlowProducer options', opts, OPTION_NAMES);
    this.prefix = opts.prefix;
    this.logger = childLogger(opts.logger ?? defaultLogger(), { flowProducer: true });
    const { client, owned } = createClient(opts.connection, 'producer');
    this.client = client;
    this.owned = owned;
    if (owned) client.on('error', (err) => this.logger.debug({ err }, 'redis connection error'));
    trackConnection(client, { errors: owned });
  }

  /**
   * Adds a flow, atomically: all of it or nothing, whatever its size (a flow of more than 500
   * jobs is written in several calls, unseen until the last one commits it). When its root has
   * a `jobId` that exists, nothing is added and the existing root is returned (a retried add is safe).
   * @returns the tree of added Jobs, in the order given.
   * @throws {InvalidOptionError} a bad tree or option (nothing is added).
   * @throws {FlowRefusedError} Redis refused it (nothing of that call is added).
   */
  async add<Data = unknown, Result = unknown>(flow: FlowJob<Data>, opts: FlowAddOptions = {}): Promise<JobNode<Data, Result>> {
    checkOptionNames('FlowProducer.add options', opts, ADD_OPTION_NAMES);
    if (this.closed) throw new InvalidOptionError('the FlowProducer is closed');
    const plan = planFlow(flow as FlowJob, (queueName, name, data, jobOpts) =>
      this.internals(queueName, opts).writer.encode(name, data, jobOpts),
    );
    const names = [...new Set(plan.map((job) => job.queueName))];
    await Promise.all(names.map((name) => this.queue(name, opts).waitUntilReady()));
    this.checkSlots(names, opts);
    const ids: string[] = [];
    let now = 0;
    // a flow of several calls is held under its root's queue until the last call commits it
    const root = this.internals(plan[0]!.queueName, opts);
    const oneCall = plan.length <= FLOW_CHUNK;
    const held = root.keys.flowHeld(oneCall ? '-' : randomBytes(8).toString('hex'));
    for (let start = 0; start < plan.length; start += FLOW_CHUNK) {
      const stage: FlowStage = oneCall ? '' : start + FLOW_CHUNK >= plan.length ? 'commit' : 'hold';
      const reply = await this.addChunk(plan, start, ids, opts, stage, held);
      if (reply.existed !== undefined) {
        const existing = await root.writer.existing(reply.existed);
        if (existing) return { job: existing } as JobNode<Data, Result>;
        throw new FlowRefusedError('id', reply.existed, `job ${reply.existed} exists but could not be read back`);
      }
      now = reply.now;
      ids.push(...reply.ids);
    }
    // committed: placed a batch at a time (if this process stops, the root queue's workers go on)
    if (!oneCall) {
      const control = new ControlScripts(root.client, root.keys);
      while ((await control.placeFlow(held, FLOW_CHUNK)) > 0);
    }
    const nodes: JobNode[] = plan.map((job, i) => ({ job: this.internals(job.queueName, opts).writer.toJob(job.item, ids[i]!, now) }));
    plan.forEach((job, i) => {
      if (job.parent < 0) return;
      const parent = nodes[job.parent]!;
      (parent.children ??= []).push(nodes[i]!);
    });
    return nodes[0] as JobNode<Data, Result>;
  }

  /** Adds several flows, one after the other (each one atomic as `add` says). */
  async addBulk(flows: FlowJob[], opts: FlowAddOptions = {}): Promise<JobNode[]> {
    if (!Array.isArray(flows)) throw new InvalidOptionError('addBulk takes an array of flows');
    const added: JobNode[] = [];
    for (const flow of flows) added.push(await this.add(flow, opts));
    return added;
  }

  /**
   * A flow as it is now, read from its root (or any parent): the job and, level by level, its
   * children (those still pending, completed or failed), down to `depth` levels, at most
   * `maxChildren` per parent. Children removed by their retention are left out.
   * @returns undefined when the job does not exist.
   */
  async getFlow<Data = unknown, Result = unknown>(opts: {
    id: string;
    queueName: string;
    depth?: number;
    maxChildren?: number;
  }): Promise<JobNode<Data, Result> | undefined> {
    checkOptionNames('getFlow options', opts, ['id', 'queueName', 'depth', 'maxChildren']);
    const depth = positiveInt('depth', opts.depth, 10, 1);
    const maxChildren = positiveInt('maxChildren', opts.maxChildren, 1000, 1);
    const root = await this.queue(opts.queueName, {}).getJob(opts.id);
    if (!root) return undefined;
    const top: JobNode = { job: root };
    let level: JobNode[] = [top];
    for (let d = 1; d < depth && level.length > 0; d++) {
      const next: JobNode[] = [];
      for (const node of level) {
        const deps = await node.job.getDependencies();
        const keys = [...deps.unprocessed, ...Object.keys(deps.processed), ...Object.keys(deps.failed)].slice(0, maxChildren);
        for (const key of keys) {
          // a child's record key: <prefix>:{<queue>}:job:<id>
          const m = /^.*:\{([^}]*)\}:job:(.+)$/.exec(key);
          const child = m ? await this.queue(m[1]!, {}).getJob(m[2]!) : undefined;
          if (!child) continue;
          const childNode: JobNode = { job: child };
          (node.children ??= []).push(childNode);
          next.push(childNode);
        }
      }
      level = next;
    }
    return top as JobNode<Data, Result>;
  }

  /** Closes its connections (a client you passed in stays open). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await closeClient(this.client, this.owned);
  }

  /** One add-flow call: the jobs of plan[start, start + FLOW_CHUNK), parents of earlier chunks named by id. */
  private async addChunk(
    plan: PlannedJob[],
    start: number,
    ids: string[],
    opts: FlowAddOptions,
    stage: FlowStage,
    held: string,
  ): Promise<{ now: number; ids: string[]; existed?: string }> {
    const chunk = plan.slice(start, start + FLOW_CHUNK);
    const bases: string[] = [];
    const baseNames: string[] = [];
    const position = (queueName: string): number => {
      const base = this.internals(queueName, opts).keys.base;
      let at = bases.indexOf(base);
      if (at < 0) at = bases.push(base) - 1;
      baseNames[at] = queueName;
      return at + 1;
    };
    const args: Arg[] = [];
    for (const job of chunk) {
      const q = position(job.queueName);
      let parent = '';
      if (job.parent >= start) parent = `n:${job.parent - start + 1}`;
      else if (job.parent >= 0) parent = `j:${position(plan[job.parent]!.queueName)}:${ids[job.parent]}`;
      const { id, name, data, opts: stored, schedule } = job.item;
      args.push(q, id, name, data, stored, schedule, parent, job.policy, job.children);
    }
    const first = this.internals(chunk[0]!.queueName, opts);
    // a Sentinel client ioredis ended in a failover rejected it unsent: sent again once connected
    const send = () => new ControlScripts(first.client, first.keys).addFlow(bases, stage, held, args);
    const reply = (await sendAgainIfEnded(first.client, send, () => this.closed)) as (string | number)[];
    const status = Number(reply[0]);
    if (status === 1) return { now: Number(reply[1]), ids: reply.slice(2).map(String) };
    if (status === 0) return { now: 0, ids: [], existed: String(reply[1]) };
    const subject = String(reply[1]);
    if (status === -1) {
      const queue = baseNames[bases.indexOf(subject)] ?? subject;
      throw new FlowRefusedError(
        'queue',
        queue,
        `queue "${queue}" cannot take part in a flow: it is partitioned, or it has consumer groups but not "default" ` +
          '(a child counts for its parent when the default group completes it)',
      );
    }
    if (status === -2) throw new FlowRefusedError('id', subject, `a job with id "${subject}" exists already: the flow was not added`);
    if (status === -4) {
      throw new FlowRefusedError(
        'id',
        subject,
        `root "${subject}" belongs to an add of this flow that stopped before its last call: its jobs are held, unseen, ` +
          'and expire within 7 days; add the flow under another root jobId (docs/flows.md)',
      );
    }
    throw new FlowRefusedError('parent', subject, `parent ${subject} no longer waits for its children: the rest of its flow was not added`);
  }

  /** On a Redis Cluster, every queue of a flow must live in one slot (one atomic script reaches them all). */
  private checkSlots(names: string[], opts: FlowAddOptions): void {
    if (!isClusterClient(this.client) || names.length < 2) return;
    const slots = names.map((name) => keySlot(this.internals(name, opts).keys.wake));
    const other = slots.findIndex((slot) => slot !== slots[0]);
    if (other < 0) return;
    throw new InvalidOptionError(
      `on a Redis Cluster a flow's queues must share one hash slot: "${names[0]}" is in slot ${slots[0]}, ` +
        `"${names[other]}" in slot ${slots[other]}. ` +
        'Keep such a flow in one queue (jobs of different names), or run it on one Redis (docs/flows.md)',
    );
  }

  /** The Queue a flow adds to by name (each with its queuesOptions, as given by the add). */
  private queue(name: string, opts: FlowAddOptions): Queue<unknown, unknown> {
    const own = opts.queuesOptions?.[name];
    const cacheKey = own ? `${name}\n${JSON.stringify(own)}` : name;
    let queue = this.queues.get(cacheKey);
    if (!queue) {
      queue = new Queue<unknown, unknown>(name, { ...own, connection: this.client, prefix: this.prefix, logger: this.opts.logger });
      this.queues.set(cacheKey, queue);
    }
    return queue;
  }

  private internals(name: string, opts: FlowAddOptions): QueueInternals {
    return queueInternals(this.queue(name, opts));
  }
}
