// A flow's tree turned into what add-flow.lua takes: its jobs validated and encoded with their
// queue's defaults, parents before their children (pre-order, without recursion, so a deep
// tree cannot overflow the stack), each naming its parent by position and its failure policy.
import { InvalidOptionError } from '../errors.js';
import { FLOW_MAX_DEPTH } from '../limits.js';
import type { NewJob } from '../queue/job-writer.js';
import { shown } from '../validate.js';
import type { ChildFailurePolicy, FlowJob, FlowJobOptions } from './flow-types.js';

/** One job of a flow, encoded. */
export interface PlannedJob {
  queueName: string;
  item: NewJob<unknown>;
  /** Its parent's position in the plan; -1 for the root. */
  parent: number;
  /** What its final failure does to the parent (flowParents.lua): f, i, c or r. */
  policy: 'f' | 'i' | 'c' | 'r';
  /** How many children it has. */
  children: number;
}

/** Encodes a job for its queue (the queue's defaults applied, as Queue.add does). */
export type Encode = (queueName: string, name: string, data: unknown, opts: FlowJobOptions | undefined) => NewJob<unknown>;

const POLICY: Record<ChildFailurePolicy, PlannedJob['policy']> = {
  'fail-parent': 'f',
  ignore: 'i',
  'continue-parent': 'c',
  'remove-dependency': 'r',
};
const BULLMQ_NAMES: Record<string, ChildFailurePolicy> = {
  failParentOnFailure: 'fail-parent',
  ignoreDependencyOnFailure: 'ignore',
  continueParentOnFailure: 'continue-parent',
  removeDependencyOnFailure: 'remove-dependency',
};

/** The failure policy a job's options give, and its options without it. */
function splitPolicy(where: string, opts: FlowJobOptions | undefined): { policy: PlannedJob['policy']; rest: FlowJobOptions | undefined } {
  if (opts === undefined) return { policy: 'f', rest: undefined };
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new InvalidOptionError(`${where}: opts must be an object`);
  const { onFailure, ...rest } = opts;
  const chosen: ChildFailurePolicy[] = [];
  if (onFailure !== undefined) {
    if (!(typeof onFailure === 'string' && onFailure in POLICY)) {
      throw new InvalidOptionError(`${where}: onFailure must be one of ${Object.keys(POLICY).join(', ')}; got ${shown(onFailure)}`);
    }
    chosen.push(onFailure);
  }
  const record = rest as Record<string, unknown>;
  for (const [name, policy] of Object.entries(BULLMQ_NAMES)) {
    if (!(name in record)) continue;
    const value = record[name];
    delete record[name];
    if (typeof value !== 'boolean') throw new InvalidOptionError(`${where}: ${name} must be true or false; got ${shown(value)}`);
    if (value) chosen.push(policy);
  }
  if (new Set(chosen).size > 1) throw new InvalidOptionError(`${where}: give one failure policy; got ${chosen.join(' and ')}`);
  if ('deduplication' in record) throw new InvalidOptionError(`${where}: a flow's jobs cannot be deduplicated (they are new)`);
  return { policy: POLICY[chosen[0] ?? 'fail-parent'], rest };
}

/** The flow's jobs in pre-order, encoded; throws InvalidOptionError (or a payload error) on a bad tree. */
export function planFlow(root: FlowJob, encode: Encode): PlannedJob[] {
  const plan: PlannedJob[] = [];
  const stack: { node: FlowJob; parent: number; depth: number; where: string }[] = [{ node: root, parent: -1, depth: 1, where: 'flow' }];
  while (stack.length > 0) {
    const { node, parent, depth, where } = stack.pop()!;
    if (typeof node !== 'object' || node === null || Array.isArray(node)) throw new InvalidOptionError(`${where} must be an object`);
    if (depth > FLOW_MAX_DEPTH) throw new InvalidOptionError(`a flow may be at most ${FLOW_MAX_DEPTH} levels deep; ${where} is deeper`);
    if (typeof node.queueName !== 'string') throw new InvalidOptionError(`${where}: queueName must be a string`);
    const children = node.children ?? [];
    if (!Array.isArray(children)) throw new InvalidOptionError(`${where}: children must be an array`);
    const { policy, rest } = splitPolicy(where, node.opts);
    if (children.length > 0 && rest?.delay) {
      throw new InvalidOptionError(`${where}: a parent cannot be delayed (it runs when its children are done); delay its children instead`);
    }
    const item = encode(node.queueName, node.name, node.data ?? null, rest);
    const index = plan.length;
    plan.push({ queueName: node.queueName, item, parent, policy, children: children.length });
    // pushed last-first, so that they are planned in the order given
    for (let i = children.length - 1; i >= 0; i--) {
      stack.push({ node: children[i]!, parent: index, depth: depth + 1, where: `${where}.children[${i}]` });
    }
  }
  return plan;
}
