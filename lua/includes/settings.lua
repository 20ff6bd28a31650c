-- @include keys
-- queueSettings(base, group): the queue's settings from its meta hash, read once per script
-- call (one HMGET): eventsMaxLen (event stream cap, default 10,000, 0 = off) and eventsMaxAgeMs
-- (events older than this are trimmed; default 24 h, 0 = no age limit); keepLen and
-- keepAgeMs (stream history kept for replay; -1 = none beyond what some group has not read);
-- and the group's rate limit: limitMax per limitMs (0 = none) and limitUntil (ms of Redis
-- time before which the group starts nothing: a dynamic limit, e.g. after an HTTP 429);
-- maxLength (backpressure: most jobs waiting; 0 = no limit); the group's ordered-key settings:
-- keyConcurrency (default 1) and keyLimitMax per keyLimitMs (0 = none); queueLimited: in a
-- partition of a partitioned queue, the group's rate limit is the whole queue's (reserve-starts);
-- drained: the group's drained event was emitted and no full lease came since (leaseJobs);
-- groupConcurrency: at most this many of the group's jobs leased at once, by all its workers
-- (0: no cap; queue.setGlobalConcurrency); flowsHeld: flows added in several calls are committed
-- and not placed in full yet (flowPlace.lua: the queue's workers finish them); leasedEntries: a
-- lease has read the stream into the default group's PEL (leasedEntry.lua): trimming asks where
-- the first pending entry is (never set: there is none, and it need not ask).
-- Module state (for the script call): settingsCache, the settings read, per queue and group (a
-- flow's scripts reach a parent's queue too). compile.mjs
-- makes the first read before the script's first write (lua/README.md, invariant 11
-- (docs/invariants.md)).
local settingsCache = {}
-- an integer setting (at most `max`), or the default for anything else: a garbled field ('1.5',
-- '1e400', 'x', an age longer than the epoch) must not reach XADD MAXLEN or MINID as a fraction,
-- inf or a negative id and fail every script
local MAX_AGE_MS = 315360000000 -- 10 years, as Queue's retention.maxAgeMs allows
local function intSetting(text, default, max)
  if not text or #text > 16 or not string.match(text, '^%-?%d+$') then return default end
  local n = tonumber(text)
  if max and n > max then return default end
  return n
end
local function queueSettings(base, group)
  group = group or 'default'
  local cached = settingsCache[base .. group]
  if cached then return cached end
  local f = redis.call('HMGET', base .. Key.meta, 'eventsMaxLen', 'keepLen', 'keepAgeMs', 'limit:' .. group, 'limitUntil:' .. group,
    'maxLength', 'keyConc:' .. group, 'keyLimit:' .. group, 'eventsMaxAgeMs', 'queueLimit:' .. group,
    'drained:' .. group, 'gconc:' .. group, 'flows', 'pel')
  local limitMax, limitMs = string.match(f[4] or '', '^(%d+):(%d+)$')
  local keyLimitMax, keyLimitMs = string.match(f[8] or '', '^(%d+):(%d+)$')
  cached = {
    eventsMaxLen = intSetting(f[1], 10000), keepLen = intSetting(f[2], -1), keepAgeMs = intSetting(f[3], -1, MAX_AGE_MS),
    limitMax = intSetting(limitMax, 0), limitMs = intSetting(limitMs, 0), limitUntil = intSetting(f[5], 0),
    maxLength = intSetting(f[6], 0),
    keyConcurrency = intSetting(f[7], 1), keyLimitMax = intSetting(keyLimitMax, 0), keyLimitMs = intSetting(keyLimitMs, 0),
    eventsMaxAgeMs = intSetting(f[9], 86400000, MAX_AGE_MS),
    queueLimited = f[10] == '1', drained = f[11] == '1', groupConcurrency = intSetting(f[12], 0),
    flowsHeld = f[13] == '1', leasedEntries = f[14] == '1',
  }
  settingsCache[base .. group] = cached
  return cached
end
