--[[
  drain: remove a bounded batch of waiting jobs of a group (and, if asked, of delayed jobs);
  the caller repeats until it returns less than the batch. Active jobs are left alone.

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] prio       P:{Q}:g:G:prio
  KEYS[5] delayed    P:{Q}:delayed
  KEYS[6] retry      P:{Q}:g:G:retry
  KEYS[7] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] batch      how many jobs at most (<= 1000)
  ARGV[4] withDelayed '1' to remove delayed jobs and scheduled retries too
  ARGV[5] keyCursor  where the scan of the group's ordering keys resumes: '0' in the first call
                     of a drain, then what the previous call returned ('' once it is complete)

  Returns { removed, processed, keyCursor }: jobs removed, items looked at (removed plus stale
  stream entries and ordering keys met), and the key cursor for the next call; the caller
  repeats while processed reaches the batch. Deleted jobs free their deduplication ids.
]]
-- @include keys
-- @include redisTime
-- @include deleteJobs
-- @include records
-- @include trimStream
-- @include orderedKeys
-- @include settings
local streamKey, groupsKey, waitKey, prioKey, delayedKey, retryKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local wakeKey = KEYS[7]
local base, group, batch, withDelayed = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1'
local keyCursor = ARGV[5] ~= '' and ARGV[5]
local rb = Key.records(base, group)
local removed, delayedIds = {}, {}
local carried = 0 -- plain jobs removed with their stream entry
local stale = 0 -- entries of jobs that moved on or were removed

local function take(ids)
  for i = 1, #ids do
    if #removed + carried < batch then removed[#removed + 1] = ids[i] end
  end
end

local redo = redis.call('LPOP', waitKey, batch)
if redo then take(redo) end
if #removed + carried < batch and redis.call('EXISTS', streamKey) == 1 then
  local reply = redis.pcall('XREADGROUP', 'GROUP', group, 'sluice-drain', 'COUNT', batch - #removed - carried,
    'NOACK', 'STREAMS', streamKey, '>')
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'NOGROUP', 1, true) then error(reply.err, 0) end
    if group ~= 'default' then
      -- no such group: nothing of it to drain (and draining must not subscribe one)
      reply = false
    else
      -- the default group before its first worker: created at the start, as its lease would
      redis.call('XGROUP', 'CREATE', streamKey, group, '0')
      redis.call('SADD', groupsKey, group)
      reply = redis.call('XREADGROUP', 'GROUP', group, 'sluice-drain', 'COUNT', batch - #removed - carried,
        'NOACK', 'STREAMS', streamKey, '>')
    end
  end
  if reply then
    local entries = reply[1][2]
    for i = 1, #entries do
      local fields = entries[i][2]
      if fields[1] == 'n' then
        carried = carried + 1 -- a plain job: consuming its entry removes it
      elseif fields[1] == 'j' and group ~= 'default' and redis.call('EXISTS', Key.job(rb, fields[2])) == 0 then
        -- a job this group has not met yet: consuming the entry removes it for this group,
        -- which so no longer needs the published record
        carried = carried + 1
        releasePublished(base, fields[2])
      elseif fields[1] == 'j' and redis.call('HGET', Key.job(rb, fields[2]), 's') == 'waiting' then
        -- only jobs that still wait: a stale entry may point at a job that moved on
        removed[#removed + 1] = fields[2]
      else
        stale = stale + 1
      end
    end
    if #entries > 0 then
      trimStream({ stream = streamKey, groups = groupsKey }, base, group, entries[#entries][1], redisTime())
    end
  end
end
-- ordered jobs waiting in their keys' lines (keys met count as looked at)
local keysMet = 0
if #removed + carried < batch then
  local deleted, used
  deleted, used, keyCursor = keyDrain(Key.group(base, group), base, rb, batch - #removed - carried, false, keyCursor)
  carried = carried + deleted
  keysMet = used - deleted
end
if #removed + carried + keysMet < batch then
  local popped = redis.call('ZPOPMIN', prioKey, batch - #removed - carried - keysMet)
  for i = 1, #popped, 2 do removed[#removed + 1] = popped[i] end
end
if withDelayed then
  -- retries are the group's; delayed jobs are the queue's (no group has them yet), drained
  -- from the default group only
  if #removed + carried + keysMet < batch then
    local ids = redis.call('ZRANGE', retryKey, 0, batch - #removed - carried - keysMet - 1)
    if #ids > 0 then
      redis.call('ZREM', retryKey, unpack(ids))
      take(ids)
    end
  end
  local room = batch - #removed - carried - keysMet
  if room > 0 and group == 'default' then
    delayedIds = redis.call('ZRANGE', delayedKey, 0, room - 1)
    if #delayedIds > 0 then redis.call('ZREM', delayedKey, unpack(delayedIds)) end
  end
end
-- ordered jobs taken from the redelivery list or the retries hold their key's slot: give it back
local conc = queueSettings(base, group).keyConcurrency
local g = Key.group(base, group)
for i = 1, #removed do
  local held = redis.call('HMGET', Key.job(rb, removed[i]), 'ok', 'kr', 's')
  if held[1] and not held[2] and (held[3] == 'waiting' or held[3] == 'delayed') then keyRelease(g, held[1], conc, removed[i]) end
end
wakeForKeys(g, wakeKey, group)
-- backpressure: producers waiting for room try again
if queueSettings(base, group).maxLength > 0 and #removed + carried > 0 then
  redis.call('XADD', base .. Key.room, 'MAXLEN', '16', '*', 'n', #removed + carried)
end
deleteRecords(base, rb, removed)
deleteRecords(base, base, delayedIds)
removed = #removed + #delayedIds
return { removed + carried, removed + carried + stale + keysMet, keyCursor or '' }
