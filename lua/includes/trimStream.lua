-- @include settings
-- @include streamIds
-- trimStream(k, base, group, lastRead, now): drop the stream entries every group has read, except the
-- history the queue's retention keeps for replay (settings keepLen / keepAgeMs). An entry some
-- group has not read yet is never dropped (invariant 7 (docs/invariants.md)); retention only caps what is kept.
-- Called after a group read entries; lastRead is the last of them. Approximate trimming (~)
-- drops whole stream nodes only, which is nearly free.
local function trimStream(k, base, group, lastRead, now)
  local settings = queueSettings(base, group)
  local keepLen, keepAgeMs = settings.keepLen, settings.keepAgeMs
  if keepLen < 0 and keepAgeMs < 0 and redis.call('SCARD', k.groups) <= 1 then
    -- the common case, a plain queue: nothing before the one group's cursor is needed any more
    redis.call('XTRIM', k.stream, 'MINID', '~', lastRead)
    return
  end
  -- the slowest group's cursor, and the most entries some group has not read
  local slowest, unread = lastRead, 0
  for _, c in ipairs(groupCursors(k.stream)) do
    if idBefore(c.last, slowest) then slowest = c.last end
    if c.lag == false then unread = false elseif unread ~= false and c.lag > unread then unread = c.lag end
  end
  if keepLen < 0 and keepAgeMs < 0 then
    redis.call('XTRIM', k.stream, 'MINID', '~', slowest)
    return
  end
  if keepAgeMs >= 0 and now - keepAgeMs > 0 then
    local oldest = (now - keepAgeMs) .. '-0'
    if idBefore(slowest, oldest) then oldest = slowest end
    redis.call('XTRIM', k.stream, 'MINID', '~', oldest)
  end
  if keepLen >= 0 then
    if unread ~= false and unread <= keepLen then
      -- the newest keepLen entries hold every unread one: the older ones may go
      redis.call('XTRIM', k.stream, 'MAXLEN', '~', keepLen)
    elseif redis.call('XLEN', k.stream) > keepLen then
      -- more unread than the history kept (or Redis cannot tell, after deleted entries):
      -- the read ones go
      redis.call('XTRIM', k.stream, 'MINID', '~', slowest)
    end
  end
end
