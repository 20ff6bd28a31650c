--[[
  clean-waiting: delete a bounded batch of a group's waiting or delayed jobs added before a
  cut-off (queue.clean for waiting, delayed, prioritized and paused), from one of the places
  they wait, named by `part`:
    prio     the group's priority set, from rank `offset`
    wait     the group's wait list (redeliveries, lifo jobs), from index `offset`, never past
             `listCap` entries (LREM stops at the last one removed)
    stream   the entries the group has not read, oldest first, while they are older than the
             cut-off: consumed for this group only (other groups keep theirs), as drain does
    retry    the group's retries waiting out their backoff, from rank `offset`
    delayed  the queue's delayed set (no group has these jobs yet), from rank `offset`
  Jobs with an ordering key are left (they hold their key's order); active jobs are never here.
  The caller moves `offset` on by what this call kept and repeats until fewer than `batch`
  were looked at. The call that ends a clean (see announce) emits the group's event cleaned.

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] prio       P:{Q}:g:G:prio
  KEYS[5] retry      P:{Q}:g:G:retry
  KEYS[6] delayed    P:{Q}:delayed
  KEYS[7] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] part       prio, wait, stream, retry or delayed
  ARGV[4] before     cut-off: jobs added before this time (ms, Redis time, exclusive)
  ARGV[5] batch      how many jobs to look at, at most (<= 1000)
  ARGV[6] offset     where the look resumes (rank or index; unused for stream)
  ARGV[7] listCap    the wait list is looked at up to this index only
  ARGV[8] sofar      jobs the clean's earlier calls deleted
  ARGV[9] announce   '1' when this part is the clean's last (its last call emits cleaned), '2' when
                     this call is the clean's last whatever it finds (its limit): it emits cleaned

  Returns { ids deleted, how many were looked at, the offset for the next call }.
]]
-- @include keys
-- @include redisTime
-- @include deleteJobs
-- @include records
-- @include trimStream
-- @include streamIds
-- @include emit
local streamKey, groupsKey, waitKey, prioKey, retryKey, delayedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local base, group, part, before = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local batch, offset, listCap = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local sofar, announce = tonumber(ARGV[8]), ARGV[9]
emitFor(group)
local rb = Key.records(base, group)
if part == 'delayed' then rb = base end
local removed, looked, nextOffset = {}, 0, offset

-- old(recordKey): whether the job was added before the cut-off and holds no ordering key
local function old(recordKey)
  local f = redis.call('HMGET', recordKey, 'ts', 'ok')
  return f[1] and not f[2] and tonumber(f[1]) < before
end

if part == 'prio' or part == 'retry' or part == 'delayed' then
  local setKey = (part == 'prio' and prioKey) or (part == 'retry' and retryKey) or delayedKey
  local ids = redis.call('ZRANGE', setKey, offset, offset + batch - 1)
  looked = #ids
  for i = 1, #ids do
    if old(Key.job(rb, ids[i])) then removed[#removed + 1] = ids[i] end
  end
  if #removed > 0 then redis.call('ZREM', setKey, unpack(removed)) end
  nextOffset = offset + looked - #removed
  deleteRecords(base, rb, removed)
elseif part == 'wait' then
  local stop = math.min(offset + batch, listCap) - 1
  local ids = stop >= offset and redis.call('LRANGE', waitKey, offset, stop) or {}
  looked = #ids
  local doomed = {}
  for i = 1, #ids do
    if ids[i] ~= '' and old(Key.job(rb, ids[i])) then
      removed[#removed + 1] = ids[i]
      doomed[#doomed + 1] = offset + i - 1
    end
  end
  if #removed > 0 then
    -- marked in place, then removed in one pass that stops at the last mark (no id is empty)
    for i = 1, #doomed do redis.call('LSET', waitKey, doomed[i], '') end
    redis.call('LREM', waitKey, #doomed, '')
  end
  nextOffset = offset + looked - #removed
  if stop < offset + batch - 1 then looked = 0 end -- at the cap: this part is done
  deleteRecords(base, rb, removed)
else
  -- the group's cursor in the stream; the entries after it that are older than the cut-off
  local last, create = false, false
  for _, c in ipairs(groupCursors(streamKey)) do
    if c.name == group then last = c.last end
  end
  if not last and group == 'default' then
    -- the default group before its first worker: made from the start, as its lease would
    last, create = '0-0', true
  end
  local entries = {}
  if last then
    entries = redis.call('XRANGE', streamKey, '(' .. last, tostring(before - 1), 'COUNT', batch)
  end
  looked = #entries
  -- what each entry is, read before the first write (invariant 11 (docs/invariants.md))
  local ids, unmet = {}, {}
  for i = 1, #entries do
    local entryId, fields = entries[i][1], entries[i][2]
    if fields[1] == 'n' then
      removed[#removed + 1] = entryId -- a plain job: consuming its entry removes it
    elseif fields[1] == 'j' and group ~= 'default' and redis.call('EXISTS', Key.job(rb, fields[2])) == 0 then
      removed[#removed + 1] = fields[2] -- not met by this group: consuming the entry removes it here
      unmet[#unmet + 1] = fields[2]
    elseif fields[1] == 'j' and redis.call('HGET', Key.job(rb, fields[2]), 's') == 'waiting' then
      removed[#removed + 1] = fields[2]
      ids[#ids + 1] = fields[2]
    end
  end
  if looked > 0 then
    if create then
      redis.call('XGROUP', 'CREATE', streamKey, group, '0')
      redis.call('SADD', groupsKey, group)
    end
    -- consumed for this group only: exactly these entries, the next ones after its cursor
    redis.call('XREADGROUP', 'GROUP', group, 'sluice-clean', 'COUNT', looked, 'NOACK', 'STREAMS', streamKey, '>')
    for i = 1, #unmet do releasePublished(base, unmet[i]) end
    deleteRecords(base, rb, ids)
    trimStream({ stream = streamKey, groups = groupsKey }, base, group, entries[#entries][1], redisTime())
  end
end
local ends = announce == '2' or (announce == '1' and looked < batch)
if ends and sofar + #removed > 0 then emit(base, 'cleaned', 'c', sofar + #removed) end
return { removed, looked, nextOffset }
