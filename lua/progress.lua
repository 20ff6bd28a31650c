--[[
  progress: store a job's progress, only for the current lease holder.

  KEYS[1] job        P:{Q}:job:<id>

  ARGV[1] token      the lease token of this delivery
  ARGV[2] progress   JSON
  ARGV[3] base       key prefix "P:{Q}:" (for the event)

  Returns 1 when stored, 0 when refused (not the current holder).
]]
-- @include emit
local jobKey = KEYS[1]
local token, progress, base = ARGV[1], ARGV[2], ARGV[3]
if token == '' or redis.call('HGET', jobKey, 'tk') ~= token then return 0 end
redis.call('HSET', jobKey, 'pg', progress)
emit(base, 'progress', 'j', string.sub(jobKey, #base + 5), 'p', progress)
return 1
