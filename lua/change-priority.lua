--[[
  change-priority: give a waiting or delayed job a new priority or lifo (job.changePriority). A
  delayed job (the queue's delayed set) only has its record's priority and lifo changed: they
  place it when it is due. A waiting job is moved in each group that has it waiting in its
  priority set or its wait list: to the priority set under its new priority (after the jobs of
  that priority), to the front of the wait list for lifo, or to the end of the wait list for
  neither (jobs without a priority run before prioritised ones). A job still in the stream (its
  entry cannot be rewritten) leaves it: every group that has not read its entry gets its own
  record now and is given the new place (streamEntryJob.lua). A job with an ordering key (it
  keeps its key's order) or a retry waiting out its backoff is not moved.

  KEYS[1] job        P:{Q}:job:<id>     the published record
  KEYS[2] delayed    P:{Q}:delayed
  KEYS[3] groups     P:{Q}:groups
  KEYS[4] stream     P:{Q}:stream
  KEYS[5] wake       P:{Q}:wake         never written (the groups' wake markers are): declared so
                                        that Redis refuses this call whole while the queue's slot
                                        migrates (lua/README.md)

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      the caller's group (whose state an error reports)
  ARGV[3] id         job id
  ARGV[4] priority   1..2^21, or 0 for none
  ARGV[5] lifo       '1' or '0'
  ARGV[6] scan       how far into each wait list to look for the job (LPOS MAXLEN)

  Returns { outcome, state }: 'delayed' or 'moved' (state: the number of groups it moved in, out
  of the stream included),
  'ordered' (it runs in its ordering key's order), or 'notWaiting' with the caller's group's
  state of the job ('' when it has no record there nor a published one). Nothing is written
  unless the outcome is delayed or moved.
]]
-- @include keys
-- @include streamEntryJob
-- @include wake
local jobKey, delayedKey, groupsKey, streamKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local base, group, id = ARGV[1], ARGV[2], ARGV[3]
local priority, lifo, scan = tonumber(ARGV[4]), ARGV[5] == '1', tonumber(ARGV[6])

-- the record fields that place the job from now on (published record and each group's copy)
local function setPlacement(recordKey)
  if priority > 0 then redis.call('HSET', recordKey, 'p', priority) else redis.call('HDEL', recordKey, 'p') end
  -- '0' rather than no field: it tells readers the job's lifo option was changed (job-controls.ts)
  redis.call('HSET', recordKey, 'lf', lifo and '1' or '0')
end

-- every read before the first write (invariant 11 (docs/invariants.md))
local inDelayed = redis.call('ZSCORE', delayedKey, id)
local orderingKey = redis.call('HGET', jobKey, 'ok')
if inDelayed then
  if orderingKey then return { 'ordered', 'delayed' } end
  setPlacement(jobKey)
  return { 'delayed', 'delayed' }
end
local groups = redis.call('SMEMBERS', groupsKey)
if #groups == 0 then groups = { 'default' } end
local found = {}
local ownState = false
for _, name in ipairs(groups) do
  local g = Key.group(base, name)
  local record = Key.job(Key.records(base, name), id)
  local fields = redis.call('HMGET', record, 's', 'ok')
  if name == group then ownState = fields[1] end
  -- (a redelivered ordered job holds its key's slot: it stays where its key's order put it)
  if fields[2] then orderingKey = fields[2] end
  if redis.call('ZSCORE', g .. Key.prio, id) then
    found[#found + 1] = { g, 'prio', record }
  elseif redis.call('LPOS', g .. Key.wait, id, 'MAXLEN', scan) then
    found[#found + 1] = { g, 'wait', record }
  end
end
if not ownState then ownState = redis.call('HGET', jobKey, 's') end
if orderingKey and (#found > 0 or ownState == 'waiting') then return { 'ordered', ownState or 'waiting' } end
-- the groups that have not read it yet, if it is still in the stream (a group that has it in its
-- wait list read it: a redelivery; another may not have)
local entryId, entry = streamEntryOf(base, streamKey, id)
local unread, record = {}, false
if entryId then
  local moving = {}
  for _, at in ipairs(found) do moving[at[1]] = true end
  for _, name in ipairs(unreadAmong(streamKey, entryId, groups)) do
    if not moving[Key.group(base, name)] then unread[#unread + 1] = name end
  end
  if #unread > 0 then record = entryRecord(base, id, entry) end
end
if #found == 0 and #unread == 0 then return { 'notWaiting', ownState or '' } end

local score
if priority > 0 then
  -- as placeWaiting scores it: the priority, then the order of placing (pseq)
  local seq = redis.call('INCR', base .. Key.prioritySeq) % 4294967296
  if priority * 4294967296 >= 9007199254740992 then score = 9007199254740992 + 2 * seq
  else score = priority * 4294967296 + seq end
end
local function place(g, recordKey)
  if score then
    redis.call('ZADD', g .. Key.prio, score, id)
  elseif lifo then
    redis.call('LPUSH', g .. Key.wait, id)
  else
    redis.call('RPUSH', g .. Key.wait, id)
  end
  setPlacement(recordKey)
end
if #unread > 0 then
  redis.call('XDEL', streamKey, entryId)
  for _, name in ipairs(unread) do place(Key.group(base, name), takeRecord(base, id, name, entry, record)) end
  wake(wakeKey, '*')
end
for _, at in ipairs(found) do
  local g, where, recordKey = at[1], at[2], at[3]
  if where == 'prio' then redis.call('ZREM', g .. Key.prio, id) else redis.call('LREM', g .. Key.wait, 1, id) end
  place(g, recordKey)
end
return { 'moved', tostring(#found + #unread) }
