--[[
  remove-job: delete one job of a group and its logs, wherever it waits. An active job is
  refused: its worker holds the lease (wait for it, or let it fail).

  KEYS[1] job        the group's record: P:{Q}:job:<id> (default) or P:{Q}:g:G:job:<id>
  KEYS[2] active     P:{Q}:g:G:active
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] delayed    P:{Q}:delayed
  KEYS[5] retry      P:{Q}:g:G:retry
  KEYS[6] prio       P:{Q}:g:G:prio
  KEYS[7] completed  P:{Q}:g:G:completed
  KEYS[8] failed     P:{Q}:g:G:failed
  KEYS[9] logs       the group's logs: P:{Q}:logs:<id> or P:{Q}:g:G:logs:<id>
  KEYS[10] stream    P:{Q}:stream
  KEYS[11] wake      P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] id         job id
  ARGV[2] group      group name
  ARGV[3] base       key prefix "P:{Q}:" (for the job's deduplication key)

  Returns 1 removed, 0 no such job, -1 refused because the job is active.
  - A job the group holds (has a record of) is removed from this group only.
  - A job no group has received yet — a delayed job, or a stream entry no group has read — is
    the queue's: removing it through any group removes it from the queue.
  - A job some groups have received but this one has not (its entry is unread by this group)
    is removed for this group: the entry goes, and the other groups that have not read it get
    their copy now, in their redelivery lists.
  Bounded: a job is looked for in the redelivery list and in its key's line within
  REMOVE_SEARCH entries from either end; one further in is left there, and the lease that
  meets it drops it (its record is gone).
]]
-- @include keys
-- @include dedup
-- @include emit
-- @include streamEntryJob
-- @include orderedKeys
-- @include records
-- @include wake
-- @include settings
-- @include flowParents
local REMOVE_SEARCH = 1000
local jobKey, activeKey, waitKey, delayedKey, retryKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prioKey, completedKey, failedKey, logsKey, streamKey = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local wakeKey = KEYS[11]
local id, group, base = ARGV[1], ARGV[2], ARGV[3]
emitFor(group)

-- backpressure: producers waiting for room try again
local function roomFreed()
  if queueSettings(base, group).maxLength > 0 then redis.call('XADD', base .. Key.room, 'MAXLEN', '16', '*', 'n', 1) end
end

-- listRemove(key, value): removes value from a list if it is within REMOVE_SEARCH entries of
-- either end (LREM then stops at it). Returns whether it did.
local function listRemove(key, value)
  if redis.call('LPOS', key, value, 'MAXLEN', REMOVE_SEARCH) then
    redis.call('LREM', key, 1, value)
    return true
  end
  if redis.call('LPOS', key, value, 'RANK', -1, 'MAXLEN', REMOVE_SEARCH) then
    redis.call('LREM', key, -1, value)
    return true
  end
  return false
end

local function removed()
  emit(base, 'removed', 'j', id)
  roomFreed()
  return 1
end

-- the job's published record goes (a job no group holds yet), freeing its deduplication id
local function deletePublished()
  forgetFlowJob(base, id, 0)
  releaseDedup(base, Key.job(base, id), id)
  redis.call('DEL', Key.job(base, id), Key.logs(base, id), Key.kids(base, id))
end

-- giveCopy(other, entry, record): a group that has not read the entry gets the job now, in its
-- redelivery list
local function giveCopy(other, entry, record)
  takeRecord(base, id, other, entry, record)
  redis.call('RPUSH', Key.group(base, other) .. Key.wait, id)
end

-- (a job leased without a record is active too: lua/includes/leasedEntry.lua)
if redis.call('ZSCORE', activeKey, id) then return -1 end
if redis.call('EXISTS', jobKey) == 0 then
  -- a delayed job is the queue's (only a default group's record is the published one)
  if redis.call('ZSCORE', delayedKey, id) then
    redis.call('ZREM', delayedKey, id)
    deletePublished()
    return removed()
  end
  -- a job in the stream that this group has not read yet
  local entryId, entry = streamEntryOf(base, streamKey, id)
  if not entryId then return 0 end
  local unread, all = unreadBy(streamKey, entryId)
  local mine = false
  for _, name in ipairs(unread) do mine = mine or name == group end
  if not mine then return 0 end
  if #unread == all then
    -- no group has it: it leaves the queue
    redis.call('XDEL', streamKey, entryId)
    if entry[2][1] == 'j' then deletePublished() end
    return removed()
  end
  local record = entryRecord(base, id, entry)
  redis.call('XDEL', streamKey, entryId)
  for _, other in ipairs(unread) do
    if other ~= group then giveCopy(other, entry, record) end
  end
  -- this group gives up its share of the published record (see releasePublished)
  if entry[2][1] == 'j' then releasePublished(base, id) end
  wake(wakeKey, '*')
  return removed()
end
local f = redis.call('HMGET', jobKey, 'ok', 'kr', 's', 'po', 'se')
local orderingKey, keyReleased, state, leased, entryId = f[1], f[2], f[3], f[4], f[5]
-- a job announced in the stream (own id, promoted) loses its entry too, if no one read it yet
if entryId then
  local unread, all = unreadBy(streamKey, entryId)
  if #unread == all then redis.call('XDEL', streamKey, entryId) end
end
local inPrio = redis.call('ZREM', prioKey, id) == 1
local inLine = false
-- an ordered job leaves its key's line (never leased, it holds no slot), or gives back the slot
-- it holds (waiting to be redelivered or retried); a finished one holds nothing
if orderingKey and not keyReleased then
  local g = Key.group(base, group)
  if listRemove(Key.keyLine(g, orderingKey), id) then
    inLine = true
    keyCount(g .. Key.keyState, '#waiting', -1)
  elseif (state == 'waiting' and leased) or (state == 'delayed' and redis.call('ZSCORE', retryKey, id)) then
    keyRelease(g, orderingKey, queueSettings(base, group).keyConcurrency)
    wakeForKeys(g, wakeKey, group)
  elseif state == 'waiting' then
    -- never leased: it is further down its key's line than the search goes; left there, it is
    -- dropped by the lease that meets it
    inLine = true
  end
end
-- a flow child stops counting for its parent; a waiting parent leaves the waiting-children set
if group == 'default' then forgetFlowJob(base, id, 0) end
releaseDedup(base, jobKey, id)
local sets = { retryKey, completedKey, failedKey }
if group == 'default' then sets[#sets + 1] = delayedKey end
for _, key in ipairs(sets) do redis.call('ZREM', key, id) end
-- only a waiting job can be in the redelivery list
if state == 'waiting' and not inPrio and not inLine then listRemove(waitKey, id) end
redis.call('DEL', jobKey, logsKey, Key.kids(Key.records(base, group), id))
return removed()
