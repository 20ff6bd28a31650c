--[[
  fire-scheduler: make the job of one due slot and plan the next slot, exactly once however
  many workers race for it: the slot must still be the scheduler's planned one (compare and
  set on its score), and the job's id is derived from key and slot, so a second job for the
  same slot cannot exist.

  KEYS[1] schedulers P:{Q}:schedulers
  KEYS[2] scheduler  P:{Q}:scheduler:<key>
  KEYS[3] stream     P:{Q}:stream
  KEYS[4] groups     P:{Q}:groups       (the job reaches every group)
  KEYS[5] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] key        scheduler key
  ARGV[3] slot       the slot being fired (ms), as read from the schedulers set
  ARGV[4] next       the slot after it (ms), or -1 when the schedule is over (it is deleted)
  ARGV[5] fire       '1' to make the job, '0' to skip the slot (missed, skipMissed)
  ARGV[6] jobId      repeat:<key>:<slot>

  Returns 1 when this call advanced the scheduler (and made the job if asked), 0 when another
  worker had done it already (or the scheduler was removed or changed).
]]
-- @include keys
-- @include redisTime
-- @include placeWaiting
-- @include wake
local schedulersKey, schedulerKey = KEYS[1], KEYS[2]
local k = { stream = KEYS[3], groups = KEYS[4], wake = KEYS[5] }
local base, key, slot, nextSlot, fire, jobId = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1', ARGV[6]

local planned = redis.call('ZSCORE', schedulersKey, key)
if not planned or tonumber(planned) ~= tonumber(slot) then return 0 end
if fire then
  local jobKey = Key.job(base, jobId)
  -- (the compare and set above makes the job once; this guards a record someone kept)
  if redis.call('EXISTS', jobKey) == 0 then
    local template = cjson.decode(redis.call('HGET', schedulerKey, 'template'))
    redis.call('HSET', jobKey, 'n', template.name, 'd', template.data, 'o', template.opts, 'ts', redisTime(),
      's', 'waiting', 'a', 0, 'dl', 0)
    local priority = tonumber(template.priority)
    if priority then redis.call('HSET', jobKey, 'p', priority) end
    if template.lifo then redis.call('HSET', jobKey, 'lf', 1) end
    if template.orderingKey then redis.call('HSET', jobKey, 'ok', template.orderingKey) end
    placeWaiting(k, base, jobId, priority, template.lifo, template.orderingKey)
  end
  redis.call('HINCRBY', schedulerKey, 'count', 1)
end
if nextSlot >= 0 then
  redis.call('ZADD', schedulersKey, nextSlot, key)
  redis.call('HSET', schedulerKey, 'next', nextSlot, 'last', slot)
else
  -- the schedule is over (endDate or limit): nothing of it stays behind
  redis.call('ZREM', schedulersKey, key)
  redis.call('DEL', schedulerKey)
end
-- idle workers recompute their wake-up time for the next slot (and lease the job)
wake(k.wake, '*')
return 1
