-- The group's rate limiter (see settings.lua for where its limits live): a sliding log of
-- start times in Redis time (k.limiter, a sorted set of lease token -> ms), trimmed to the
-- last window, so that in every window of limitMs at most limitMax jobs start.

-- limiterRoom(k, settings, now, count): how many jobs the group may start now (the rate
-- limiter: at most limitMax starts in any window of limitMs, a sliding log of start times in
-- Redis time; and the dynamic limit limitUntil). Returns room, and when room is 0 the ms until
-- the next start is allowed.
local function limiterRoom(k, settings, now, count)
  if settings.limitUntil > now then return 0, settings.limitUntil - now end
  if settings.limitMax <= 0 then return count, -1 end
  redis.call('ZREMRANGEBYSCORE', k.limiter, '-inf', now - settings.limitMs)
  local room = settings.limitMax - redis.call('ZCARD', k.limiter)
  if room <= 0 then
    local oldest = tonumber(redis.call('ZRANGE', k.limiter, 0, 0, 'WITHSCORES')[2]) or now
    return 0, math.max(1, oldest + settings.limitMs - now)
  end
  if room < count then return room, -1 end
  return count, -1
end

-- limiterRecord(k, settings, nonce, n, now): the n jobs just leased were started now; returns
-- the ms until the next start is allowed when the window is full now, else -1.
local function limiterRecord(k, settings, nonce, n, now)
  if settings.limitMax <= 0 then return -1 end
  if n > 0 then
    local starts = {}
    for i = 1, n do
      starts[#starts + 1] = now
      starts[#starts + 1] = nonce .. '.' .. i
    end
    redis.call('ZADD', k.limiter, unpack(starts))
    redis.call('PEXPIRE', k.limiter, settings.limitMs + 1000)
  end
  if redis.call('ZCARD', k.limiter) < settings.limitMax then return -1 end
  local oldest = tonumber(redis.call('ZRANGE', k.limiter, 0, 0, 'WITHSCORES')[2]) or now
  return math.max(1, oldest + settings.limitMs - now)
end
