--[[
  remove-scheduler: delete a scheduler; jobs it already made are left alone.

  KEYS[1] schedulers P:{Q}:schedulers
  KEYS[2] scheduler  P:{Q}:scheduler:<key>

  ARGV[1] key        scheduler key

  Returns 1 when it existed, 0 when not.
]]
local schedulersKey, schedulerKey = KEYS[1], KEYS[2]
local key = ARGV[1]
redis.call('ZREM', schedulersKey, key)
return redis.call('DEL', schedulerKey)
