--[[
  extend: renew the leases a worker holds, proving each with its token.

  FLAGS allow-oom   (a renewal writes nothing new)

  KEYS[1] active     P:{Q}:g:G:active
  KEYS[2] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] records    the group's record prefix: "P:{Q}:" for default, "P:{Q}:g:G:" for others
  ARGV[2] leaseMs    new lease length from now (ms of Redis time)
  ARGV[3..] pairs    job id, token, ...

  Returns the ids whose lease is lost (token changed, job gone or reclaimed), then, after an
  empty string when there are any, the renewed jobs someone asked to cancel (cancel-job.lua):
  id, reason, ... (an empty string is never a job id).
]]
-- @include redisTime
-- @include keys
-- @include leasedEntry
local activeKey = KEYS[1]
local rb, leaseMs = ARGV[1], tonumber(ARGV[2])
local deadline = redisTime() + leaseMs
local lost, renewed, cancelled = {}, {}, {}
for i = 3, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  -- (a job leased without a record gets it at its first renewal: the stream is then trimmed past its entry)
  if holdsLease(rb .. Key.stream, Key.job(rb, id), id, token) and redis.call('ZSCORE', activeKey, id) then
    renewed[#renewed + 1] = deadline
    renewed[#renewed + 1] = id
    local reason = redis.call('HGET', Key.job(rb, id), 'cx')
    if reason then
      cancelled[#cancelled + 1] = id
      cancelled[#cancelled + 1] = reason
    end
  else
    lost[#lost + 1] = id
  end
end
if #renewed > 0 then redis.call('ZADD', activeKey, 'XX', unpack(renewed)) end
if #cancelled > 0 then
  lost[#lost + 1] = ''
  for i = 1, #cancelled do lost[#lost + 1] = cancelled[i] end
end
return lost
