--[[
  fail: settle a failed attempt: schedule the retry (after a backoff delay, or at once) or, on
  the last attempt or an unrecoverable error, move the job to the failed (dead-letter) set.

  FLAGS allow-oom   (a failure must be recorded on a full Redis (it keeps memory level))

  KEYS[1] active     P:{Q}:g:G:active
  KEYS[2] wait       P:{Q}:g:G:wait
  KEYS[3] retry      P:{Q}:g:G:retry
  KEYS[4] failed     P:{Q}:g:G:failed
  KEYS[5] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] id         job id
  ARGV[4] token      the lease token of this delivery
  ARGV[5] outcome    JSON {retry: bool, delayMs, reason, stack (JSON text), keep: [count, ageMs],
                     releaseKey?: an ordered job lets its key go on while it waits for the retry,
                     defer?: not a failure (DelayedError): the job runs again after delayMs
                     without using an attempt, its last failure kept, and no event}

  Returns 1 when settled, 0 when refused (the token is not the current one: the lease was lost).
]]
-- @include keys
-- @include redisTime
-- @include moveToFailed
-- @include wake
-- @include dueScore
-- @include emit
-- @include leaseToken
-- @include settings
-- @include textCaps
-- @include orderedKeys
-- @include leasedEntry
local activeKey, waitKey, retryKey, failedKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base, group, id, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local outcome = cjson.decode(ARGV[5])
local rb = Key.records(base, group)
local jobKey = Key.job(rb, id)
emitFor(group)

-- every read before the first write (invariant 11 (docs/invariants.md); the settings: see
-- lua/compile.mjs)
-- a record clobbered with another type is refused as a lost lease (its lease runs out and the
-- lease script dead-letters it); attemptsMade is read, not HINCRBY'd, so garbage there is no error
local held = redis.pcall('HMGET', jobKey, 'tk', 'ok', 'a')
-- a job leased without a record gets it first (leasedEntry.lua)
if not held.err and not held[1] and recordLease(base .. Key.stream, jobKey, id, token) then
  held = redis.call('HMGET', jobKey, 'tk', 'ok', 'a')
end
if held.err or not isCurrentToken(held[1], token) then return 0 end
local attemptsMade = math.floor(tonumber(held[3]) or 0) + 1
local now = redisTime()
local settings = queueSettings(base, group)
local reason, stack = capText(tostring(outcome.reason), REASON_MAX), capStack(outcome.stack)
if outcome.retry then
  local delayMs = tonumber(outcome.delayMs) or 0
  -- after the retries already due at that ms: they run in the order they were scheduled
  local score = delayMs > 0 and dueScore(retryKey, now + delayMs)
  -- the move first: out of active, into the retry schedule or the wait list
  redis.call('ZREM', activeKey, id)
  if score then
    redis.call('ZADD', retryKey, score, id)
    redis.call('HSET', jobKey, 's', 'delayed', 'du', now + delayMs, 'tk', '')
  else
    redis.call('RPUSH', waitKey, id)
    redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')
  end
  -- a deferral (DelayedError) is not a failure: it keeps the last failure and uses no attempt
  if not outcome.defer then redis.call('HSET', jobKey, 'fr', reason, 'st', stack, 'a', attemptsMade) end
  -- an ordered job normally holds its key through its retries; with releaseKey it lets the
  -- key's later jobs go (field kr: it holds no slot any more)
  local orderingKey = held[2]
  if outcome.releaseKey and orderingKey and redis.call('HSETNX', jobKey, 'kr', 1) == 1 then
    keyRelease(Key.group(base, group), orderingKey, settings.keyConcurrency)
    -- the key's next job is ready now (not at this job's due time)
    wakeForKeys(Key.group(base, group), wakeKey, group)
  end
  -- one idle worker leases it now, or waits for its due time (wake.lua)
  -- (at once, whatever the delay, in a group capped by setGlobalConcurrency: the slot is free)
  wake(wakeKey, group, (delayMs > 0 and settings.groupConcurrency == 0) and now + delayMs or 0)
  if not outcome.defer then emit(base, 'retrying', 'j', id, 'r', reason, 'd', delayMs) end
else
  local reads = moveToFailedReads(base, rb, id, group)
  redis.call('ZREM', activeKey, id)
  redis.call('HSET', jobKey, 'a', attemptsMade)
  moveToFailed(failedKey, base, rb, id, now, reason, stack, outcome.keep[1], outcome.keep[2], group, reads)
  wakeForKeys(Key.group(base, group), wakeKey, group)
  if settings.groupConcurrency > 0 then wake(wakeKey, group) end
end
return 1
