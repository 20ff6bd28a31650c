// What a failed failover run keeps from its servers' logs: the lines that say who was master
// when (the sentinels' failover events; each data server's replication links and role changes),
// so that a loss seen once in CI can be explained from the report alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SENTINEL_EVENTS = new RegExp(
  '[+-](sdown master|odown|elected-leader|selected-slave|promoted-slave|failover-end|failover-abort|' +
    'switch-master|convert-to-slave|slave-reconf-done)',
);
const DATA_EVENTS =
  /Ready to accept|MASTER MODE enabled|Connecting to MASTER|Full resync from master|Successful partial|Connection with master lost/;
/** Lines kept per file, and in all: the report stays readable (CI prints its tail). */
const PER_FILE = 12;
const IN_ALL = 80;

/** The telling lines of the `<port>-redis.log` and `<port>-sentinel.log` files in `dir`, each prefixed by its file. */
export function serverLogEvidence(dir: string): string[] {
  const out: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    const pattern = file.endsWith('-sentinel.log') ? SENTINEL_EVENTS : file.endsWith('-redis.log') ? DATA_EVENTS : undefined;
    if (!pattern) continue;
    const lines = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => pattern.test(l));
    // a log line is "<pid>:<role> <day> <month> <year> <time> <level> <text>": the time and the
    // text are kept, without the CLIENT LIST line that says who asked for a role change
    for (const line of lines.slice(-PER_FILE)) {
      out.push(`${file.replace('.log', '')}: ${line.replace(/^\d+:\w \d+ \w+ \d+ /, '').replace(/ \(user request from .*$/, '')}`);
    }
  }
  return out.slice(0, IN_ALL);
}
