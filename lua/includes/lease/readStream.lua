-- @include trimStream
-- readStream(ctx, count): up to `count` new entries of the queue's stream for the group
-- (XREADGROUP NOACK: reading them is taking them), then the stream is trimmed below what every
-- group has read (trimStream). The default group is created on its first read; another group
-- that is missing fails the call (its workers recreate it).
local function readStream(ctx, count)
  local keys, group, consumer = ctx.keys, ctx.group, ctx.consumer
  local reply = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', keys.stream, '>')
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'NOGROUP', 1, true) then error(reply.err, 0) end
    -- another group is created by its workers (from now) before they lease; missing now, it
    -- was removed or the queue obliterated: the worker decides (it logs and recreates it)
    if group ~= 'default' then error('NOGROUP consumer group ' .. group .. ' does not exist', 0) end
    -- the default group's first use, or the stream was deleted (obliterate): it starts at the
    -- beginning, so jobs added before the first worker are not missed
    redis.call('XGROUP', 'CREATE', keys.stream, group, '0', 'MKSTREAM')
    redis.call('SADD', keys.groups, group)
    reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', keys.stream, '>')
  end
  if not reply then return {} end
  local entries = reply[1][2]
  -- the entries are read (the cursor moved): nothing after this may fail the call, or they are lost
  if #entries > 0 then pcall(trimStream, keys, ctx.base, group, entries[#entries][1], ctx.now) end
  return entries
end
