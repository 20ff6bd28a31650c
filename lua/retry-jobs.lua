--[[
  retry-jobs: redrive a bounded batch of finished jobs (failed or completed) that finished at
  or before a cut-off time; the caller repeats until it returns 0, so a set of millions never
  stalls Redis and jobs failing meanwhile are not picked up in an endless loop.

  KEYS[1] from       P:{Q}:g:G:failed or P:{Q}:g:G:completed
  KEYS[2] wait       P:{Q}:g:G:wait
  KEYS[3] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] before     cut-off finish time (ms); only jobs finished at or before it move
  ARGV[4] batch      how many jobs at most (<= 1000)

  Returns the number of jobs moved.
]]
-- @include keys
-- @include wake
local fromKey, waitKey, wakeKey = KEYS[1], KEYS[2], KEYS[3]
local base, group, before, batch = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local ids = redis.call('ZRANGEBYSCORE', fromKey, '-inf', before, 'LIMIT', 0, batch)
if #ids == 0 then return 0 end
local rb = Key.records(base, group)
for i = 1, #ids do
  local jobKey = Key.job(rb, ids[i])
  redis.call('HSET', jobKey, 's', 'waiting', 'a', 0, 'sc', 0, 'tk', '')
  redis.call('HDEL', jobKey, 'fr', 'st', 'fo', 'rv', 'po', 'cx')
  -- a redriven ordered job runs outside its key's order: it holds no key slot (kr)
  if redis.call('HEXISTS', jobKey, 'ok') == 1 then redis.call('HSET', jobKey, 'kr', 1) end
end
redis.call('ZREM', fromKey, unpack(ids))
redis.call('RPUSH', waitKey, unpack(ids))
wake(wakeKey, group)
return #ids
