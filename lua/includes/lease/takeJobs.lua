-- @include lease/context
-- @include lease/readStream
-- @include lease/leaseOne
-- @include keys
-- @include moveToFailed
-- @include orderedKeys
-- @include emit
-- The stream entries a lease reads (written by enqueue.lua and placeWaiting.lua), by their
-- fields in order:
--   a plain job, carried whole:     n <name> d <data> o <opts>  (the entry id is the job id)
--   a job with a published record:  j <id>
--     with a copy for other groups: j <id> n <name> d <data> o <opts> ts <timestamp> sb <startBy>

-- deadLetterEntry(ctx, entry): an entry that is neither (written by hand): its fields are kept
-- in a failed job "malformed-<entry id>"
local function deadLetterEntry(ctx, entry)
  local id = 'malformed-' .. entry[1]
  local reason = 'malformed stream entry ' .. entry[1] .. ': it carries neither a job id (j) nor a job (n, d, o)'
  redis.call('HSET', Key.job(ctx.records, id), 'n', '(malformed)', 'd', cjson.encode(entry[2]), 'o', '{}', 'ts', ctx.now, 'a', 0, 'dl', 0)
  moveToFailed(ctx.keys.failed, ctx.base, ctx.records, id, ctx.now, reason, '[]',
    ctx.config.keepFailed[1], ctx.config.keepFailed[2], ctx.group)
  addDead(ctx, id, reason)
end

-- takeJobs(ctx, count): lease up to `count` jobs, in this order: redeliveries (the wait list),
-- then ordered keys (up to half of what is left), new jobs from the stream, ordered keys again
-- for the rest, then prioritised jobs; so neither keys nor the stream can starve the other.
-- Each leased job gets a lease in the active set: config.leaseMs, or for the jobs past the
-- worker's free slots the short config.aheadMs. One event for all.
local function takeJobs(ctx, count)
  local keys, group, now, settings, config = ctx.keys, ctx.group, ctx.now, ctx.settings, ctx.config
  local ids, inline, keyOf = {}, {}, {}
  -- a named group that is gone fails the call before anything is popped: readStream's
  -- NOGROUP would come after the pops below (the default group recreates itself there)
  if group ~= 'default' and redis.call('SISMEMBER', keys.groups, group) == 0 then
    error('NOGROUP consumer group ' .. group .. ' does not exist', 0)
  end
  -- (a quiet group's list did not exist: only leases reclaimed in this call can be in it)
  local redo = (not ctx.quiet or #ctx.stalled > 0) and redis.call('LPOP', keys.wait, count)
  if redo then
    for i = 1, #redo do ids[#ids + 1] = redo[i] end
  end
  -- fewer than asked: the list is empty now (moreWaiting needs not ask)
  ctx.emptied.wait = not redo or #redo < count
  local keyed = {}
  -- (one command when no key is ready or parked: the common case of a queue without ordering keys)
  local ringEmpty = ctx.quiet or not keysListed(ctx.groupPrefix, settings, now)
  ctx.emptied.ring = ringEmpty
  local function takeKeyed(n)
    if n <= 0 or ringEmpty then return end
    local from = #keyed
    keyTake(ctx.groupPrefix, from + n, settings, now, ctx.nonce, keyed)
    for i = from + 1, #keyed do
      ids[#ids + 1] = keyed[i][1]
      keyOf[keyed[i][1]] = keyed[i][2]
    end
  end
  takeKeyed(math.ceil((count - #ids) / 2))
  -- what the stream read says of more entries for this group (see moreWaiting): unknown
  -- (nil) unless read; a full read leaves its last id to compare with the stream's
  ctx.streamLastRead = nil
  if #ids < count then
    local asked = count - #ids
    local entries = readStream(ctx, asked)
    ctx.streamLastRead = #entries >= asked and entries[#entries][1] or false
    for i = 1, #entries do
      local entryId, fields = entries[i][1], entries[i][2]
      if fields[1] == 'j' and fields[2] then
        -- a job with a published record; the default group's record is that record itself
        local id = fields[2]
        if group == 'default' then
          ids[#ids + 1] = id
        elseif fields[3] == 'n' and fields[6] then
          if adoptJob(ctx, id, fields[4], fields[6], fields[8], fields[10], fields[12]) then ids[#ids + 1] = id end
        elseif adoptJob(ctx, id) then
          ids[#ids + 1] = id
        end
      elseif fields[1] == 'n' and fields[3] == 'd' and fields[4] then
        -- a plain job, carried whole by its entry: its record is written now, at its first lease
        ids[#ids + 1] = entryId
        inline[entryId] = { fields[2], fields[4], fields[5] == 'o' and fields[6] or '{}', string.match(entryId, '^(%d+)') }
      else
        deadLetterEntry(ctx, entries[i])
      end
    end
  end
  takeKeyed(count - #ids)
  if #ids < count and ctx.quiet then
    ctx.emptied.prio = true
  elseif #ids < count then
    local popped = redis.call('ZPOPMIN', keys.prio, count - #ids)
    ctx.emptied.prio = #popped / 2 < count - #ids
    for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
  end
  local leases = {}
  local slots, leaseMs, aheadMs = config.slots or count, config.leaseMs, config.aheadMs or config.leaseMs
  -- the two lease ends as text, once: a number score is formatted per job
  local leaseEnd, aheadEnd = tostring(now + leaseMs), tostring(now + aheadMs)
  for i = 1, #ids do
    local id = ids[i]
    local leased
    local carried = inline[id]
    if carried then
      leased = leaseCarried(ctx, id, carried[1], carried[2], carried[3], carried[4])
    else
      -- one bad record must not abort the call: the stream entries it read are consumed
      local ok, result = pcall(leaseRecorded, ctx, id, keyOf[id] ~= nil)
      leased = ok and result
      if not ok then
        local why = type(result) == 'table' and result.err or tostring(result)
        redis.pcall('ZADD', keys.failed, now, id)
        addDead(ctx, id, 'malformed job record: ' .. string.sub(why, 1, 200))
      end
      -- an ordered job that cannot run (removed, malformed, expired) gives its key's slot back
      if not leased and keyOf[id] then keyRelease(ctx.groupPrefix, keyOf[id], settings.keyConcurrency, id) end
    end
    if leased then
      -- jobs past the worker's free slots wait in its buffer: a short first lease, renewed by the
      -- worker while it holds them, so that a killed worker's leased-ahead jobs come back soon
      leases[#leases + 1] = (#leases / 2 < slots) and leaseEnd or aheadEnd
      leases[#leases + 1] = id
    end
  end
  if #leases > 0 then
    redis.call('ZADD', keys.active, unpack(leases))
    -- the lowest end written: the first job's or the last's (leased ahead, past the slots)
    headChanged(ctx, keys.active, math.min(tonumber(leases[1]), tonumber(leases[#leases - 1])))
    local leased = {}
    for i = 2, #leases, 2 do leased[#leased + 1] = leases[i] end
    emit(ctx.base, 'active', 'j', table.concat(leased, ' '))
  end
end
