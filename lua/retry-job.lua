--[[
  retry-job: redrive one finished job (failed, or completed) of a group: it waits again at
  the back of the group's line with its attempts reset.

  KEYS[1] job        the group's record: P:{Q}:job:<id> (default) or P:{Q}:g:G:job:<id>
  KEYS[2] from       P:{Q}:g:G:failed or P:{Q}:g:G:completed
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] wake       P:{Q}:wake

  ARGV[1] id         job id
  ARGV[2] group      group name

  Returns 1 when moved, 0 when the job is not in that set.
]]
-- @include wake
local jobKey, fromKey, waitKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, group = ARGV[1], ARGV[2]
if redis.call('ZREM', fromKey, id) == 0 then return 0 end
redis.call('HSET', jobKey, 's', 'waiting', 'a', 0, 'sc', 0, 'tk', '')
redis.call('HDEL', jobKey, 'fr', 'st', 'fo', 'rv', 'po', 'cx')
-- a redriven ordered job runs outside its key's order: it holds no key slot (kr)
if redis.call('HEXISTS', jobKey, 'ok') == 1 then redis.call('HSET', jobKey, 'kr', 1) end
redis.call('RPUSH', waitKey, id)
wake(wakeKey, group)
return 1
