// Bounded work per call (docs/invariants.md, invariant 10): the batch sizes of the client loops, and the cap
// of every loop in the Lua scripts, so that no single script call grows with the data (a queue
// with a million jobs, keys or deduplication ids answers as fast as an empty one). A client
// loop over many calls is fine: other clients run between its calls.

/** Jobs per script call of the admin operations (drain, clean, retryJobs, promoteJobs, obliterate). */
export const ADMIN_BATCH = 500;

/** Jobs of a flow per add-flow (and place-flow) call: a larger flow is written held in chunks, committed, then placed (docs/flows.md). */
export const FLOW_CHUNK = 500;

/** How deep a flow may be: a child's final failure fails its ancestors in the same call, one step per level. */
export const FLOW_MAX_DEPTH = 100;

/*
 * Caps of the loops inside the Lua scripts (constants live in the Lua files named):
 *
 * lease / complete (lua/includes/lease/leaseJobs.lua, orderedKeys.lua):
 *   promoteDue          500 due delayed jobs + 500 due retries per call
 *   keyUnpark           200 parked keys relisted per call (KEY_UNPARK_MAX): the due ones, or all
 *                       once the group has no per-key limit (keysListed)
 *   reclaimExpired      100 expired leases per call
 *   takeJobs            count jobs, count <= 1000 (the worker's batch)
 *   keyTake             ring entries popped per call: one per job taken (<= count) + at most 256
 *                       that yield none (KEY_RING_EXTRA: emptied or parked keys), then it wakes
 *                       the workers to go on; keys with an empty line are not put back
 *   complete acks       the acks sent (<= 1000 per call, settlement.ts)
 *   trimFinished        #acks + 100 per complete, 200 per final failure
 *   nextWakeIn          4 sorted sets (5 with a per-key limit), one ZRANGE each
 * deleteJobs            DEL in chunks of 500 keys (DELETE_CHUNK)
 * drain                 batch (ADMIN_BATCH) items per call: jobs removed, stale entries, and
 *                       ordering keys met; keyDrain below
 * keyDrain              budget = what the batch leaves; each key met and each job deleted costs 1,
 *                       each HSCAN step (COUNT 50, KEY_SCAN_COUNT) costs 1, <= 100 steps
 *                       (KEY_SCAN_STEPS); at least one job per call; the HSCAN cursor is kept
 *                       between calls (drain: by the client, obliterate/removeGroup: meta
 *                       keyscan:<G>), so a whole drain is linear in keys + jobs
 * clean / retry-jobs    batch (ADMIN_BATCH) per call
 * promote-jobs          batch (ADMIN_BATCH) entries per call: the first `batch` of the delayed
 *                       set and of the group's retry set are read and merged by due time;
 *                       placeWaiting per job (a ZADD/LPUSH per group for prioritised, lifo or
 *                       ordered jobs); the client stops at the sets' size when it started
 * obliterate            batch per call over delayed, each group's sets, key lines and wait
 *                       list (dropGroupJobs), stream entries, schedulers, dedup ids (index
 *                       P:{Q}:dedups, never a keyspace SCAN)
 * remove-group          batch per call: unread entries, then dropGroupJobs
 * change-priority       per group of the queue (a handful): one ZSCORE, LPOS ... MAXLEN 10,000 of
 *                       the wait list (PRIORITY_SCAN, job-controls.ts); LREM then stops at the job
 * update-data           two HGETs and one HSET
 * clean-waiting         batch (ADMIN_BATCH) jobs or stream entries looked at per call; the wait
 *                       list only to index 10,000 (CLEAN_WAIT_SCAN, queue-admin.ts), its LREM
 *                       stopping at the last job removed; one XINFO GROUPS
 * remove-job            LPOS ... MAXLEN 1000 from each end of the wait list and of the key's
 *                       line (REMOVE_SEARCH); LREM then stops at the job; groups: one XINFO
 * add-flow              the jobs sent (<= FLOW_CHUNK per call); a finished child (complete,
 *                       moveToFailed, remove-job: flowParents.lua) settles its parent in O(1),
 *                       and a failure that fails the parent goes up at most FLOW_MAX_DEPTH levels
 * place-flow            a committed flow's held jobs: FLOW_CHUNK per call (the producer's), 100
 *                       per lease call of the root queue whose producer stopped (flowPlace.lua)
 * enqueue               the jobs sent (<= 250 per call, the add batcher); dedup index pruning:
 *                       10 expired ids per hold (DEDUP_PRUNE); dueScore below per delayed job
 * dueScore              (delayed and retry scores, lua/includes/dueScore.lua) at most 1,024
 *                       milliseconds looked at for a free place
 * wake (wake.lua)       one ZADD per group of the queue (the groups set: a handful)
 * release (by nonce)    the 1,000 newest leases of the group, one HGET each
 * next-due              5 sorted sets, one ZRANGE each
 * emit (emit.lua)       the fields a call site passes (< 10); emitCompleted: one step per ack
 *                       (<= 1000); capText: 3 back-off steps; capStack: 20 lines
 *
 * Client side (each call bounded, loops over many calls are fine):
 *   add batcher          250 jobs per enqueue call (addBulk: windows of such calls)
 *   ack calls            1,000 acks and about 4 MiB of return values (settlement.ts)
 *   lease calls          1,000 jobs and about 4 MiB of job data by their average size (lease-calls.ts)
 *   getJobs / pages      1,000 jobs per call, a page of 100 by default; an offset into the
 *                        waiting stream skips at most 10,000 entries (job-pages.ts)
 *   QueueEvents          values left out of events read in chunks of 50, at most 3 rounds
 */
