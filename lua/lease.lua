--[[
  lease: lease up to `count` jobs of a group for one worker (and keep the group moving:
  promote due delayed jobs and retries, reclaim expired leases).

  FLAGS allow-oom   (a full Redis must drain: a lease moves a job out of the stream (memory stays level))

  KEYS[1] stream     P:{Q}:stream       the queue's job stream (entries carry field j = job id)
  KEYS[2] wake       P:{Q}:wake         the wake anchor: group G's marker is P:{Q}:g:G:wake (wake.lua)
  KEYS[3] groups     P:{Q}:groups       set of group names
  KEYS[4] delayed    P:{Q}:delayed      zset job id -> due time (ms), new delayed jobs
  KEYS[5] wait       P:{Q}:g:G:wait     list of redeliveries (retries, reclaimed, handed back)
  KEYS[6] active     P:{Q}:g:G:active   zset job id -> lease deadline (ms)
  KEYS[7] retry      P:{Q}:g:G:retry    zset job id -> due time of its retry (ms)
  KEYS[8] prio       P:{Q}:g:G:prio     zset of prioritised waiting jobs
  KEYS[9] failed     P:{Q}:g:G:failed   zset job id -> finished time, the dead-letter set
  KEYS[10] paused    P:{Q}:g:G:paused   exists while the group is paused
  KEYS[11] schedulers P:{Q}:schedulers  zset of repeating-job schedulers by next slot (ms)
  KEYS[12] limiter   P:{Q}:g:G:limiter  zset of recent starts (token -> ms), the rate limiter's log

  ARGV[1] base       key prefix "P:{Q}:" (carries the hash tag; job keys derive from it)
  ARGV[2] group      group name
  ARGV[3] consumer   worker id (the XREADGROUP consumer name)
  ARGV[4] nonce      random string unique to this call; tokens are nonce.k
  ARGV[5] count      how many jobs to lease (integer >= 0)
                     ("count:slots": the jobs past the first `slots` are leased ahead of their
                     start, with the short first lease config.aheadMs: a worker killed holding
                     them loses them after aheadMs, not leaseMs)
  ARGV[6] config     JSON {leaseMs, aheadMs, maxStalls, keepFailed: [count, ageMs], blockMs (the worker's
                     block timeout), woke: true on the first call after the worker was woken
                     or its held due time came (a full batch then wakes the next worker if more
                     waits, else the call says idle), reserved: true when its starts were
                     reserved for the whole partitioned queue first (reserve-starts.lua)}

  Returns a flat array: now, waitMs (-1 none, else ms until the next due time), idle (1 when
  fewer jobs than asked for were leased, or when a call with `woke` took all there was: the
  worker blocks on its group's wake marker, which this call set to the next due time), flags
  (1 paused (asked only by a call that leases), 2 rate limited now: waitMs is then at most the
  time until the next start is allowed, 4 the group
  has a rate limit, 8 a partition whose queue has a rate limit: a call without reserved starts
  leased nothing),
  schedulersDue (0/1: a scheduler's slot is due; the worker fires it), nStalled,
  stalled ids..., nDead, (id, reason)..., nJobs, then per job: id, name, data, opts, meta
  ("timestamp:attemptsMade:deliveries:stalls"). The k-th job's lease token is nonce.k.
  Errors: a job key of the wrong type is dead-lettered (listed in the failed set, left as is);
  a wrong-type queue key (stream, sets) surfaces as a Redis error.
]]
-- @include redisTime
-- @include keys
-- @include lease/leaseJobs
-- @include orderedKeys
local keys = {
  stream = KEYS[1], wake = KEYS[2], groups = KEYS[3], delayed = KEYS[4], wait = KEYS[5],
  active = KEYS[6], retry = KEYS[7], prio = KEYS[8], failed = KEYS[9], paused = KEYS[10],
  schedulers = KEYS[11], limiter = KEYS[12],
}
local base, group, consumer, nonce = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local config = cjson.decode(ARGV[6])
local count = leaseCount(ARGV[5], config)
local reply = leaseJobs(keys, base, group, consumer, nonce, count, config, redisTime())
wakeForKeys(Key.group(base, group), keys.wake, group)
return reply
