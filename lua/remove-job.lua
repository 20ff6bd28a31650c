--[[
  remove-job: delete one job and its logs, wherever it waits. An active job is refused: its
  worker holds the lease (wait for it, or let it fail).

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

  ARGV[1] id         job id
  ARGV[2] group      group name
  ARGV[3] base       key prefix "P:{Q}:" (for the job's deduplication key)

  Returns 1 removed, 0 no such job, -1 refused because the job is active.
  The job is removed from this group. Its stream entry is deleted too while no group has read
  it yet (then no group has the job); otherwise groups that have not read it still get it.
  Delayed jobs are the queue's (no group has them yet): only the default group removes them.
]]
-- @include dedup
-- @include emit
-- @include streamIds
-- @include orderedKeys
local jobKey, activeKey, waitKey, delayedKey, retryKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prioKey, completedKey, failedKey, logsKey, streamKey = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local id, group, base = ARGV[1], ARGV[2], ARGV[3]
emitFor(group)

-- backpressure: producers waiting for room try again
local function roomFreed()
  if queueSettings(base, group).maxLength > 0 then redis.call('XADD', base .. 'room', 'MAXLEN', '16', '*', 'n', 1) end
end

-- no group has read the entry yet
local function unread(entryId)
  for _, c in ipairs(groupCursors(streamKey)) do
    if not idBefore(c.last, entryId) then return false end
  end
  return true
end

if redis.call('EXISTS', jobKey) == 0 then
  if not string.match(id, '^%d+%-%d+$') then return 0 end
  local entry = redis.call('XRANGE', streamKey, id, id)[1]
  if not entry or entry[2][1] ~= 'n' or not unread(id) then return 0 end
  redis.call('XDEL', streamKey, id)
  emit(base, 'removed', 'j', id)
  roomFreed()
  return 1
end
if redis.call('ZSCORE', activeKey, id) then return -1 end
-- a job announced in the stream (own id, promoted) loses its entry too, if no one read it yet
local entryId = redis.call('HGET', jobKey, 'se')
if entryId and unread(entryId) then redis.call('XDEL', streamKey, entryId) end
-- an ordered job leaves its key's line, or gives back the slot it holds (waiting to be
-- redelivered or retried); a finished one holds nothing
local keyFields = redis.call('HMGET', jobKey, 'ok', 'kr')
local orderingKey = keyFields[1]
if orderingKey then
  local g = base .. 'g:' .. group .. ':'
  local state = redis.call('HGET', jobKey, 's')
  if redis.call('LREM', g .. 'key:' .. orderingKey, 0, id) > 0 then
    redis.call('HINCRBY', g .. 'keyst', '#waiting', -1)
  elseif state ~= 'completed' and state ~= 'failed' and not keyFields[2] and not redis.call('ZSCORE', delayedKey, id) then
    keyRelease(g, orderingKey, queueSettings(base, group).keyConcurrency)
    wakeForKeys(g, base .. 'wake', group)
  end
end
releaseDedup(base, jobKey, id)
local sets = { retryKey, prioKey, completedKey, failedKey }
if group == 'default' then sets[#sets + 1] = delayedKey end
for _, key in ipairs(sets) do redis.call('ZREM', key, id) end
redis.call('LREM', waitKey, 0, id)
redis.call('DEL', jobKey, logsKey)
emit(base, 'removed', 'j', id)
roomFreed()
return 1
