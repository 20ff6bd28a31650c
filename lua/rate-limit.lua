--[[
  rate-limit: the dynamic limit. The group starts no job for `ms` (Redis time), across all its
  workers and processes — e.g. after a downstream answered HTTP 429. With a job (its
  processor threw RateLimitError), the job goes back to the front of the group's line without
  using an attempt.

  FLAGS allow-oom   (hands a job back)

  KEYS[1] meta       P:{Q}:meta         holds limitUntil:<G>
  KEYS[2] active     P:{Q}:g:G:active
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] ms         how long to start nothing (integer >= 0); an earlier end never shortens a later one
  ARGV[4] id         job id, or '' for none
  ARGV[5] token      the job's lease token

  Returns the time (ms) until which the group starts nothing; negative when the job's lease
  was no longer this worker's (the job was not touched).
]]
-- @include redisTime
-- @include keys
-- @include wake
-- @include leasedEntry
local metaKey, activeKey, waitKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local base, group, ms, id, token = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local now = redisTime()
local field = 'limitUntil:' .. group
local untilMs = math.max(now + ms, tonumber(redis.call('HGET', metaKey, field)) or 0)
redis.call('HSET', metaKey, field, untilMs)
local lost = false
if id ~= '' then
  local jobKey = Key.job(Key.records(base, group), id)
  if holdsLease(base .. Key.stream, jobKey, id, token) then
    redis.call('ZREM', activeKey, id)
    redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')
    redis.call('LPUSH', waitKey, id)
  else
    lost = true
  end
end
-- blocked workers recompute their wake-up time: they start nothing until then
wake(wakeKey, group)
if lost then return -untilMs end
return untilMs
