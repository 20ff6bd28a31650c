--[[
  change-delay: move a delayed job's (or a scheduled retry's) due time to `delayMs` from now.
  With 0 the job becomes waiting at once, as promote-job does, announced by the event due (a
  delayed job: queue-wide) or waiting (a retry: the group's).

  KEYS[1] job        P:{Q}:job:<id>     the published record (a delayed job's)
  KEYS[2] delayed    P:{Q}:delayed
  KEYS[3] retry      P:{Q}:g:G:retry
  KEYS[4] stream     P:{Q}:stream
  KEYS[5] prio       P:{Q}:g:G:prio
  KEYS[6] wait       P:{Q}:g:G:wait
  KEYS[7] wake       P:{Q}:wake
  KEYS[8] groups     P:{Q}:groups

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] id         job id
  ARGV[4] delayMs    new delay from now (ms, Redis time); 0 = now

  Returns 1 when changed, 0 when the job is not delayed.
]]
-- @include keys
-- @include redisTime
-- @include promoteJob
-- @include dueScore
-- @include wake
-- @include emit
local jobKey, delayedKey, retryKey = KEYS[1], KEYS[2], KEYS[3]
local k = { delayed = delayedKey, retry = retryKey, stream = KEYS[4], prio = KEYS[5], wait = KEYS[6], wake = KEYS[7], groups = KEYS[8] }
local base, group, id, delayMs = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
emitFor(group)

local inDelayed = redis.call('ZSCORE', delayedKey, id)
local inRetry = not inDelayed and redis.call('ZSCORE', retryKey, id)
if not inDelayed and not inRetry then return 0 end
local now = redisTime()
-- a retry waits in the group's own record
local rb = Key.records(base, group)
if inRetry then jobKey = Key.job(rb, id) end
if delayMs > 0 then
  -- after the jobs already due at that ms (dueScore)
  local setKey = inDelayed and delayedKey or retryKey
  redis.call('ZADD', setKey, dueScore(setKey, now + delayMs), id)
  redis.call('HSET', jobKey, 'du', now + delayMs)
elseif inDelayed then
  -- the same move as queue.promoteJobs() (lua/includes/promoteJob.lua)
  promoteDelayed(k, base, id, redis.call('HMGET', jobKey, unpack(PROMOTE_FIELDS)))
  emitQueueWide(base, 'due', 'j', id)
else
  promoteRetry(k, rb, id)
  emit(base, 'waiting', 'j', id)
end
-- a delayed job is the queue's, so every group's; a retry is its group's. Made due now, an idle
-- worker leases it at once; delayed, its new due time goes into the marker, where an idle worker
-- holds it (src/worker/idle-wait.ts)
wake(k.wake, inDelayed and '*' or group, delayMs > 0 and now + delayMs or 0)
return 1
