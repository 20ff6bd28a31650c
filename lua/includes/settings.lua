-- @include keys
-- queueSettings(base, group): the queue's settings from its meta hash, read once per script
-- call (one HMGET): eventsMaxLen (event stream cap, default 10,000, 0 = off) and eventsMaxAgeMs
-- (events older than this are trimmed; default 24 h, 0 = no age limit); keepLen and
-- keepAgeMs (stream history kept for replay; -1 = none beyond what some group has not read);
-- and the group's rate limit: limitMax per limitMs (0 = none) and limitUntil (ms of Redis
-- time before which the group starts nothing: a dynamic limit, e.g. after an HTTP 429);
-- maxLength (backpressure: most jobs waiting; 0 = no limit); the group's ordered-key settings:
-- keyConcurrency (default 1) and keyLimitMax per keyLimitMs (0 = none).
-- Module state (for the script call): settingsCache, the settings read, per group. compile.mjs
-- makes the first read before the script's first write (lua/README.md, invariant 11
-- (docs/invariants.md)).
local settingsCache = {}
local function queueSettings(base, group)
  group = group or 'default'
  local cached = settingsCache[group]
  if cached then return cached end
  local f = redis.call('HMGET', base .. Key.meta, 'eventsMaxLen', 'keepLen', 'keepAgeMs', 'limit:' .. group, 'limitUntil:' .. group,
    'maxLength', 'keyConc:' .. group, 'keyLimit:' .. group, 'eventsMaxAgeMs')
  local limitMax, limitMs = string.match(f[4] or '', '^(%d+):(%d+)$')
  local keyLimitMax, keyLimitMs = string.match(f[8] or '', '^(%d+):(%d+)$')
  cached = {
    eventsMaxLen = tonumber(f[1]) or 10000, keepLen = tonumber(f[2]) or -1, keepAgeMs = tonumber(f[3]) or -1,
    limitMax = tonumber(limitMax) or 0, limitMs = tonumber(limitMs) or 0, limitUntil = tonumber(f[5]) or 0,
    maxLength = tonumber(f[6]) or 0,
    keyConcurrency = tonumber(f[7]) or 1, keyLimitMax = tonumber(keyLimitMax) or 0, keyLimitMs = tonumber(keyLimitMs) or 0,
    eventsMaxAgeMs = tonumber(f[9]) or 86400000,
  }
  settingsCache[group] = cached
  return cached
end
