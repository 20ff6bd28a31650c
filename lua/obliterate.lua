--[[
  obliterate: delete a queue, a bounded batch at a time; the caller repeats while it returns 1.
  Refuses while jobs are active unless forced (their workers would find them gone).

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups
  KEYS[3] delayed    P:{Q}:delayed
  KEYS[4] wake       P:{Q}:wake
  KEYS[5] id         P:{Q}:id

  ARGV[1] base       key prefix "P:{Q}:" (group keys derive from it: base .. 'g:' .. G .. ':')
  ARGV[2] batch      how many jobs at most per call (<= 1000)
  ARGV[3] force      '1' to delete even while jobs are active

  Returns 1 (more to delete), 0 (the queue is gone), -1 (refused: active jobs, not forced).
  Every group is paused by the first call that goes ahead (in the same atomic step as the
  check), so that no worker leases a job of a queue being deleted and no later call refuses.
  Deduplication ids are found through their index (P:{Q}:dedups), never by scanning keys.
]]
-- @include keys
-- @include dropGroupJobs
-- @include deleteJobs
-- @include dropMetrics
local streamKey, groupsKey, delayedKey, wakeKey, idKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base, batch, force = ARGV[1], tonumber(ARGV[2]), ARGV[3] == '1'
-- the default group may hold jobs before its first worker made it a member
local groups = redis.call('SMEMBERS', groupsKey)
local listed = false
for _, group in ipairs(groups) do listed = listed or group == 'default' end
if not listed then groups[#groups + 1] = 'default' end

if not force then
  for _, group in ipairs(groups) do
    if redis.call('ZCARD', Key.group(base, group) .. Key.active) > 0 then return -1 end
  end
end

for _, group in ipairs(groups) do redis.call('SET', Key.group(base, group) .. Key.paused, '1') end

local budget = batch
-- delayed jobs are the queue's (their records are the published ones)
local delayed = redis.call('ZRANGE', delayedKey, 0, budget - 1)
if #delayed > 0 then
  deleteJobs(base, delayed)
  redis.call('ZREM', delayedKey, unpack(delayed))
  budget = budget - #delayed
end
-- flow parents waiting for their children (their records, logs and kids hashes)
if budget > 0 then
  local parents = redis.call('ZRANGE', base .. Key.waitingChildren, 0, budget - 1)
  if #parents > 0 then
    deleteJobs(base, parents)
    redis.call('ZREM', base .. Key.waitingChildren, unpack(parents))
    budget = budget - #parents
  end
end
for _, group in ipairs(groups) do
  if budget > 0 then budget = dropGroupJobs(base, group, budget) end
end
if budget > 0 then
  local entries = redis.call('XRANGE', streamKey, '-', '+', 'COUNT', budget)
  if #entries > 0 then
    local ids, entryIds = {}, {}
    for i = 1, #entries do
      entryIds[#entryIds + 1] = entries[i][1]
      local fields = entries[i][2]
      if fields[1] == 'j' then ids[#ids + 1] = fields[2] end
    end
    deleteJobs(base, ids)
    redis.call('XDEL', streamKey, unpack(entryIds))
    budget = budget - #entries
  end
end
-- schedulers, so that none fires into the deleted queue
if budget > 0 then
  local keys = redis.call('ZRANGE', base .. Key.schedulers, 0, budget - 1)
  for i = 1, #keys do redis.call('DEL', Key.scheduler(base, keys[i])) end
  if #keys > 0 then
    redis.call('ZREM', base .. Key.schedulers, unpack(keys))
    budget = budget - #keys
  end
end
-- deduplication ids, through their index
if budget > 0 then
  local ids = redis.call('ZRANGE', base .. Key.dedupIndex, 0, budget - 1)
  if #ids > 0 then
    local keys = {}
    for i = 1, #ids do keys[i] = Key.dedup(base, ids[i]) end
    redis.call('DEL', unpack(keys))
    redis.call('ZREM', base .. Key.dedupIndex, unpack(ids))
    budget = budget - #ids
  end
end
if budget > 0 then
  -- everything is empty: remove the structure itself
  for _, group in ipairs(groups) do
    local g = Key.group(base, group)
    redis.call('DEL', g .. Key.paused, g .. Key.limiter, g .. Key.wake, g .. Key.wakeBackup)
    dropGroupMetrics(g)
  end
  dropQueueMetrics(base)
  -- flows rooted here and not placed in full: their held lists go (the held records expire)
  local heldLists = redis.call('LRANGE', base .. Key.flows, 0, 99)
  if #heldLists > 0 then redis.call('UNLINK', unpack(heldLists)) end
  redis.call('UNLINK', streamKey, groupsKey, delayedKey, wakeKey, idKey, base .. Key.prioritySeq, base .. Key.meta, base .. Key.events,
    base .. Key.room, base .. Key.dedupIndex, base .. Key.flows)
  return 0
end
return 1
