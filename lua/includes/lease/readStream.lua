-- @include keys
-- @include trimStream
-- @include leasedEntry
-- @include jobData
-- readStream(ctx, count): up to `count` new entries of the queue's stream for the group
-- (XREADGROUP NOACK: reading them is taking them), then the stream is trimmed below what every
-- group has read (trimStream). The default group is created on its first read; another group
-- that is missing fails the call (its workers recreate it).
-- With config.pel (the worker's recent jobs were mostly deleted on completion), the default
-- group of a queue that keeps no count of stream history reads into its PEL instead: a plain job
-- deleted on completion is then leased without a record (leasedEntry.lua; listed in
-- ctx.leasedEntries), and every other entry read is acknowledged at once.
local function readStream(ctx, count)
  local keys, group, consumer = ctx.keys, ctx.group, ctx.consumer
  local pel = ctx.config.pel and group == LEASE_GROUP and ctx.settings.keepLen < 0
  local read = { 'XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', keys.stream, '>' }
  if pel then table.remove(read, 7) end
  local reply = redis.pcall(unpack(read))
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'NOGROUP', 1, true) then error(reply.err, 0) end
    -- another group is created by its workers (from now) before they lease; missing now, it
    -- was removed or the queue obliterated: the worker decides (it logs and recreates it)
    if group ~= 'default' then error('NOGROUP consumer group ' .. group .. ' does not exist', 0) end
    -- the default group's first use, or the stream was deleted (obliterate): it starts at the
    -- beginning, so jobs added before the first worker are not missed
    redis.call('XGROUP', 'CREATE', keys.stream, group, '0', 'MKSTREAM')
    redis.call('SADD', keys.groups, group)
    reply = redis.call(unpack(read))
  end
  if not reply then return {} end
  local entries = reply[1][2]
  if pel and not ctx.settings.leasedEntries then
    -- from now on, trimming looks for pending entries (see trimStream)
    redis.call('HSET', ctx.base .. Key.meta, 'pel', '1')
    ctx.settings.leasedEntries = true
  end
  if pel and #entries > 0 then
    local acked = { 'XACK', keys.stream, group }
    for i = 1, #entries do
      local entryId, fields = entries[i][1], entries[i][2]
      if fields[1] == 'n' and fields[3] == 'd' and fields[4] and fields[5] == 'o' and removedOnCompletion(fields[6]) then
        ctx.leasedEntries[entryId] = true
      else
        acked[#acked + 1] = entryId
      end
    end
    if #acked > 3 then redis.call(unpack(acked)) end
  end
  -- the entries are read (the cursor moved): nothing after this may fail the call, or they are lost
  if #entries > 0 then pcall(trimStream, keys, ctx.base, group, entries[#entries][1], ctx.now) end
  return entries
end
