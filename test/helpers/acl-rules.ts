// The ACL rule sets of docs/production.md ("ACL users"), read from the page itself: the tests
// create their users from these very lines (a producer's, a worker's, and what a Redis Cluster
// adds to each), so the page cannot drift from what is tested.
import { readFileSync } from 'node:fs';

export type AclRole = 'sluice-producer' | 'sluice-worker';

const page = readFileSync(new URL('../../docs/production.md', import.meta.url), 'utf8');

/** The text of the page's "ACL users" section (up to the next `## ` heading). */
export function aclSection(): string {
  const start = page.indexOf('\n## ACL users\n');
  if (start < 0) throw new Error('docs/production.md has no "## ACL users" section');
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start, end < 0 ? undefined : end);
}

/** The section's `ACL SETUSER <role> …` line whose first rule is `first` (`on` for the full line). */
function line(role: AclRole, first: string): string[] | undefined {
  const found = aclSection()
    .split('\n')
    .filter((l) => l.startsWith(`ACL SETUSER ${role} ${first}`));
  if (found.length > 1) throw new Error(`docs/production.md has ${found.length} ACL SETUSER lines for ${role} starting with ${first}`);
  return found[0]?.trim().split(/\s+/).slice(3);
}

/**
 * The documented rules of `role` (what follows `ACL SETUSER <role>`), with `>PASSWORD` and
 * `~sluice:*` filled in when `password` and `prefix` are given; `cluster` appends the rules the
 * page adds for a Redis Cluster (its `ACL SETUSER <role> +cluster|…` line).
 */
export function documentedRules(role: AclRole, opts: { prefix?: string; password?: string; cluster?: boolean } = {}): string[] {
  const base = line(role, 'on ');
  if (!base) throw new Error(`docs/production.md has no "ACL SETUSER ${role} on …" line`);
  const extra = opts.cluster ? line(role, '+cluster|') : [];
  if (!extra) throw new Error(`docs/production.md has no "ACL SETUSER ${role} +cluster|…" line (the Cluster rules)`);
  return [...base, ...extra].map((rule) => {
    if (rule === '>PASSWORD' && opts.password !== undefined) return `>${opts.password}`;
    if (rule === '~sluice:*' && opts.prefix !== undefined) return `~${opts.prefix}:*`;
    return rule;
  });
}

/**
 * The commands `rules` allow, lower case: `get`, or `xgroup|create` for one subcommand (a
 * whole container command, `+xgroup`, is written `xgroup`). Only `-@all` followed by `+command`
 * rules can be read without Redis: a category (`+@read`) or a removal after -@all throws.
 */
export function allowedCommands(rules: string[]): Set<string> {
  const allowed = new Set<string>();
  for (const rule of rules) {
    if (rule === '-@all' || rule === 'on' || rule === 'resetkeys' || rule === 'resetchannels' || /^[>~&%]/.test(rule)) continue;
    if (!/^\+[a-z_]+(\|[a-z_-]+)?$/.test(rule))
      throw new Error(`cannot read the ACL rule "${rule}" without Redis: use -@all and +command rules`);
    allowed.add(rule.slice(1));
  }
  return allowed;
}

/** Whether `allowed` (from allowedCommands) lets a user run `command` (with its subcommand, for a container command). */
export function allows(allowed: Set<string>, command: string, sub?: string): boolean {
  const name = command.toLowerCase();
  return allowed.has(name) || (sub !== undefined && allowed.has(`${name}|${sub.toLowerCase()}`));
}
