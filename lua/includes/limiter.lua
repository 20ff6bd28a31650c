-- @include slidingWindow
-- @include leaseToken
-- The group's rate limiter (limits in settings.lua): a sliding window of lease times
-- (KEYS limiter, lease token -> ms), so that in every window of limitMs at most limitMax jobs
-- start; and the dynamic limit limitUntil (RateLimitError, worker.rateLimit).

-- limiterRoom(keys, settings, now): how many jobs the group may start now (math.huge without a
-- limit), and when none, the ms until the next start is allowed.
local function limiterRoom(keys, settings, now)
  if settings.limitUntil > now then return 0, settings.limitUntil - now end
  if settings.limitMax <= 0 then return math.huge, -1 end
  return windowRoom(keys.limiter, settings.limitMax, settings.limitMs, now)
end

-- limiterRecord(keys, settings, nonce, n, room, now): the n jobs just leased (tokens nonce.1 ..
-- nonce.n) started now, out of `room`; returns the ms until the next start is allowed when
-- that filled the window, else -1.
local function limiterRecord(keys, settings, nonce, n, room, now)
  if settings.limitMax <= 0 then return -1 end
  local tokens = {}
  for i = 1, n do tokens[i] = leaseToken(nonce, i) end
  windowRecord(keys.limiter, settings.limitMs, now, tokens)
  if n < room then return -1 end
  local oldest = tonumber(redis.call('ZRANGE', keys.limiter, 0, 0, 'WITHSCORES')[2]) or now
  return math.max(1, oldest + settings.limitMs - now)
end
