--[[
  remove-group: unsubscribe a consumer group and delete what it holds (its job records, sets,
  pause flag, rate limit, metrics), a bounded batch per call; the caller repeats while it returns 1. The first call
  unsubscribes it, so no job reaches it any more and the stream is no longer kept for it.
  Refuses while the group has active jobs unless forced (their workers would find them gone).
  Other groups, and the queue's delayed jobs, are not touched. Deleted jobs that still held a
  deduplication id (the default group's) free it.

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups
  KEYS[3] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] batch      how many jobs at most per call (<= 1000)
  ARGV[4] force      '1' to remove even while jobs are active

  Returns 1 (more to delete), 0 (done), -1 (refused: active jobs, not forced).
]]
-- @include keys
-- @include dropGroupJobs
-- @include streamIds
-- @include records
-- @include dropMetrics
local streamKey, groupsKey = KEYS[1], KEYS[2]
local base, group, batch, force = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local g = Key.group(base, group)
if not force and redis.call('ZCARD', g .. Key.active) > 0 then return -1 end

local metaKey = base .. Key.meta
local scanField = 'removing:' .. group
if redis.call('SREM', groupsKey, group) == 1 then
  -- remember where the group stood: the jobs it had not read yet are given up (releasePublished)
  for _, c in ipairs(groupCursors(streamKey)) do
    if c.name == group then redis.call('HSET', metaKey, scanField, c.last) end
  end
end
pcall(redis.call, 'XGROUP', 'DESTROY', streamKey, group)

local budget = batch
-- entries the group never read: published records that waited for its copy no longer do
local scanFrom = redis.call('HGET', metaKey, scanField)
if scanFrom then
  local entries = redis.call('XRANGE', streamKey, '(' .. scanFrom, '+', 'COUNT', budget)
  for _, entry in ipairs(entries) do
    if entry[2][1] == 'j' then releasePublished(base, entry[2][2]) end
  end
  budget = budget - #entries
  if #entries == 0 then redis.call('HDEL', metaKey, scanField)
  else redis.call('HSET', metaKey, scanField, entries[#entries][1]) end
end
budget = dropGroupJobs(base, group, budget)
if budget > 0 and redis.call('HEXISTS', metaKey, scanField) == 0 then
  redis.call('DEL', g .. Key.paused, g .. Key.limiter, g .. Key.wake, g .. Key.wakeBackup)
  dropGroupMetrics(g)
  redis.call('HDEL', metaKey, 'limit:' .. group, 'limitUntil:' .. group, 'keyConc:' .. group, 'keyLimit:' .. group)
  return 0
end
return 1
