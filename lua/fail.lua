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
                     releaseKey?: an ordered job lets its key go on while it waits for the retry}

  Returns 1 when settled, 0 when refused (the token is not the current one: the lease was lost).
]]
-- @include redisTime
-- @include moveToFailed
-- @include wake
-- @include records
-- @include dueScore
local activeKey, waitKey, retryKey, failedKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base, group, id, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local outcome = cjson.decode(ARGV[5])
local rb = recordBase(base, group)
local jobKey = rb .. 'job:' .. id
emitFor(group)

if token == '' or redis.call('HGET', jobKey, 'tk') ~= token then return 0 end
local now = redisTime()
redis.call('ZREM', activeKey, id)
redis.call('HINCRBY', jobKey, 'a', 1)
if outcome.retry then
  local delayMs = tonumber(outcome.delayMs) or 0
  redis.call('HSET', jobKey, 'fr', outcome.reason, 'st', outcome.stack, 'tk', '')
  if delayMs > 0 then
    redis.call('HSET', jobKey, 's', 'delayed', 'du', now + delayMs)
    -- after the retries already due at that ms: they run in the order they were scheduled
    redis.call('ZADD', retryKey, dueScore(retryKey, now + delayMs), id)
  else
    redis.call('HSET', jobKey, 's', 'waiting')
    redis.call('RPUSH', waitKey, id)
  end
  -- an ordered job normally holds its key through its retries; with releaseKey it lets the
  -- key's later jobs go (field kr: it holds no slot any more)
  local orderingKey = redis.call('HGET', jobKey, 'ok')
  if outcome.releaseKey and orderingKey and redis.call('HSETNX', jobKey, 'kr', 1) == 1 then
    keyRelease(base .. 'g:' .. group .. ':', orderingKey, queueSettings(base, group).keyConcurrency)
  end
  -- idle workers recompute their wake-up time (or lease the job at once)
  wake(wakeKey, group)
  emit(base, 'retrying', 'j', id, 'r', outcome.reason, 'd', delayMs)
else
  moveToFailed(failedKey, base, rb, id, now, outcome.reason, outcome.stack, outcome.keep[1], outcome.keep[2], group)
  wakeForKeys(base .. 'g:' .. group .. ':', wakeKey, group)
end
return 1
