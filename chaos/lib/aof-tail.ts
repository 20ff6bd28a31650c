// A simulated OS crash under `appendfsync everysec`: what Redis wrote to its append-only file
// in the last second may still be in the page cache, not on disk, when the machine dies. The
// runner samples the size of the AOF being written (the newest `*.incr.aof` of Redis 7's
// multi-part AOF) every 50 ms; after a SIGKILL of redis-server, cutTail() truncates that file
// to its size of `ms` before the kill. Redis then loads the truncated file
// (`aof-load-truncated yes`, the default), as it would after a crash.
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';

interface Sample {
  t: number;
  file: string;
  size: number;
}

/** The AOF file Redis appends to now, or undefined before it has one. */
function currentIncr(dir: string): string | undefined {
  let best: { file: string; n: number } | undefined;
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, 'appendonlydir'));
  } catch {
    return undefined;
  }
  for (const name of names) {
    const m = /\.(\d+)\.incr\.aof$/.exec(name);
    if (m && (!best || Number(m[1]) > best.n)) best = { file: join(dir, 'appendonlydir', name), n: Number(m[1]) };
  }
  return best?.file;
}

export class AofTail {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly dir: string) {
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    const file = currentIncr(this.dir);
    if (!file) return;
    try {
      this.samples.push({ t: Date.now(), file, size: statSync(file).size });
    } catch {
      // the file was just replaced (a rewrite): the next sample sees the new one
    }
    if (this.samples.length > 200) this.samples.splice(0, this.samples.length - 200);
  }

  /**
   * Truncates the current AOF to its size `ms` before `killedAt` (call it while redis-server
   * is down). Returns the bytes cut off (0 when there is no sample of that file that old).
   */
  cutTail(killedAt: number, ms: number): number {
    const file = currentIncr(this.dir);
    if (!file) return 0;
    const before = this.samples.filter((s) => s.file === file && s.t <= killedAt - ms).at(-1);
    if (!before) return 0;
    const size = statSync(file).size;
    if (size <= before.size) return 0;
    truncateSync(file, before.size);
    this.samples.length = 0;
    return size - before.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
