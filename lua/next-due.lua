--[[
  next-due: when a group's next due time is (a delayed job, a retry, a lease deadline, a
  scheduler's slot, a parked key), without changing anything. An idle worker that does not
  hold the group's wake marker asks this a little after that time: if the due work is still
  undone, the worker that held the marker is gone (crashed) and this one leases instead. A
  cheap read, so that the due time costs one lease however many workers are idle.

  FLAGS no-writes,allow-oom   (a read, on a full Redis too)

  KEYS[1] delayed    P:{Q}:delayed
  KEYS[2] retry      P:{Q}:g:G:retry
  KEYS[3] active     P:{Q}:g:G:active
  KEYS[4] schedulers P:{Q}:schedulers
  KEYS[5] keywait    P:{Q}:g:G:keywait

  ARGV[1] base       key prefix "P:{Q}:" (checked against the keys: see lua/compile.mjs)

  Returns: now (ms, Redis time), the earliest due time (ms) or -1 when nothing is scheduled.
]]
-- @include redisTime
local delayedKey, retryKey, activeKey, schedulersKey, keywaitKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = redisTime()
local best = -1
for _, key in ipairs({ delayedKey, retryKey, activeKey, schedulersKey, keywaitKey }) do
  local at = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
  if at and (best < 0 or at < best) then best = math.floor(at) end
end
return { now, best }
