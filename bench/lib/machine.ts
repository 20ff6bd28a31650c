// What the results were measured on: CPU model and count, memory, Node, Redis and library
// versions, and the sluice revision — written into latest.json next to every run's raw numbers.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, platform, release } from 'node:os';
import { loadAdapter, type LibName } from '../adapters/types.js';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  os: string;
  node: string;
  redis: string;
  libraries: Partial<Record<LibName, string>>;
  /** git commit of the sluice checkout, with "+dirty" when src/ or lua/ had local changes. */
  sluiceRevision: string;
}

export function sluiceRevision(): string {
  const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src', 'lua') ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export async function machineInfo(libs: LibName[], redisVersion: string, revision: string): Promise<MachineInfo> {
  const list = cpus();
  const libraries: Partial<Record<LibName, string>> = {};
  for (const lib of libs) libraries[lib] = (await loadAdapter(lib)).version;
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    memoryBytes: totalmem(),
    os: `${platform()} ${release()}`,
    node: process.version,
    redis: redisVersion,
    libraries,
    sluiceRevision: revision,
  };
}
