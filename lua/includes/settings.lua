-- queueSettings(base): the queue's settings from its meta hash, read once per script call:
-- eventsMaxLen (event stream cap, default 10,000, 0 = off), keepLen and keepAgeMs (stream
-- history kept for replay; -1 = none beyond what some group has not read yet).
local settingsCache = false
local function queueSettings(base)
  if settingsCache == false then
    local f = redis.call('HMGET', base .. 'meta', 'eventsMaxLen', 'keepLen', 'keepAgeMs')
    settingsCache = { eventsMaxLen = tonumber(f[1]) or 10000, keepLen = tonumber(f[2]) or -1, keepAgeMs = tonumber(f[3]) or -1 }
  end
  return settingsCache
end
