-- A sliding window of starts, in Redis time: a sorted set `log` of member -> start time (ms),
-- holding the last `ms` of starts. Used by the group's rate limiter and by per-key limits:
-- in every window of `ms` at most `max` starts.

-- windowRoom(log, max, ms, now): how many more may start now; when none, also the ms until
-- the oldest start leaves the window
local function windowRoom(log, max, ms, now)
  redis.call('ZREMRANGEBYSCORE', log, '-inf', now - ms)
  local room = max - redis.call('ZCARD', log)
  if room > 0 then return room, -1 end
  local oldest = tonumber(redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')[2]) or now
  return 0, math.max(1, oldest + ms - now)
end

-- windowRecord(log, ms, now, members): these started now (the log expires when idle)
local function windowRecord(log, ms, now, members)
  if #members == 0 then return end
  local args = {}
  for i = 1, #members do
    args[#args + 1] = now
    args[#args + 1] = members[i]
  end
  redis.call('ZADD', log, unpack(args))
  redis.call('PEXPIRE', log, ms + 1000)
end
