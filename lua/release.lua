--[[
  release: hand leased jobs back to the group without using an attempt (graceful shutdown:
  jobs leased but not started, or aborted at the close deadline). They go to the front of the
  line and idle workers are woken.

  KEYS[1] active     P:{Q}:g:G:active
  KEYS[2] wait       P:{Q}:g:G:wait
  KEYS[3] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] started    1 if the jobs had started (the delivery stays counted), 0 if not
  ARGV[4..] pairs    job id, token, ...

  Returns the number of jobs handed back (a job whose token is no longer current is skipped).
]]
-- @include wake
-- @include records
local activeKey, waitKey, wakeKey = KEYS[1], KEYS[2], KEYS[3]
local base, group, started = ARGV[1], ARGV[2], ARGV[3]
local rb = recordBase(base, group)
local back = {}
for i = #ARGV - 1, 4, -2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local jobKey = rb .. 'job:' .. id
  if token ~= '' and redis.call('HGET', jobKey, 'tk') == token then
    redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')
    if started == '0' then redis.call('HINCRBY', jobKey, 'dl', -1) end
    back[#back + 1] = id
  end
end
if #back > 0 then
  redis.call('ZREM', activeKey, unpack(back))
  -- iterated backwards, so LPUSH leaves the first pair at the front
  redis.call('LPUSH', waitKey, unpack(back))
  wake(wakeKey, group)
end
return #back
