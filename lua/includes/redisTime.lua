-- redisTime(): milliseconds of Redis' own clock (invariant 4 (docs/invariants.md): never the
-- client's clock).
local function redisTime()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
