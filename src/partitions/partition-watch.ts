// A worker of a queue that was not partitioned when it started (and was given no number of
// partitions) reads the queue's partitions record again every few block times (rarely: an
// idle worker's cost must stay small, docs/performance.md), and reports a
// queue partitioned since, rather than leave it unserved without a word. It does not
// repartition anything: partitioning is the CLI's and Queue's (docs/partitions.md).
import { PartitionsMismatchError } from '../errors.js';
import type { Scripts } from '../redis/scripts.js';

/** The watch reads the record once per this many of the worker's block timeouts (30 s by default). */
export const PARTITION_WATCH_BLOCKS = 6;

/**
 * Watches the record every `everyMs` while `running()`; reports a mismatch once, through `report`.
 * `rootScripts`: the scripts on the queue's own keys (the record lives there).
 */
export function watchForPartitions(
  rootScripts: Scripts,
  name: string,
  everyMs: number,
  running: () => boolean,
  report: (err: Error) => void,
): void {
  const timer = setInterval(() => {
    if (!running()) return clearInterval(timer);
    rootScripts.setPartitions(0).then(
      (count) => {
        if (count <= 1 || !running()) return;
        clearInterval(timer);
        const what = `queue "${name}" was partitioned (${count}) after this worker started: it consumes none of the partitions`;
        report(new PartitionsMismatchError(`${what}; restart it, or give it { partitions: ${count} }`, count));
      },
      () => undefined, // Redis failures show in the loop's calls
    );
  }, everyMs);
  timer.unref();
}
