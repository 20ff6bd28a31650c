-- @include settings
-- @include streamIds
-- @include leasedEntry
-- trimStream(k, base, group, lastRead, now): drop the stream entries every group has read, except the
-- history the queue's retention keeps for replay (settings keepLen / keepAgeMs). An entry some
-- group has not read yet is never dropped (invariant 7 (docs/invariants.md)); retention only caps what is kept.
-- Called after a group read entries; lastRead is the last of them. Approximate trimming (~)
-- drops whole stream nodes only, which is nearly free. An entry of a job leased without a record
-- (leasedEntry.lua) is kept too: the stream is trimmed below the first of them.
local function trimStream(k, base, group, lastRead, now)
  local settings = queueSettings(base, group)
  local keepLen, keepAgeMs = settings.keepLen, settings.keepAgeMs
  local leased = settings.leasedEntries and firstLeasedEntry(k.stream)
  if leased and idBefore(leased, lastRead) then lastRead = leased end
  if keepLen < 0 and keepAgeMs < 0 and redis.call('SCARD', k.groups) <= 1 then
    -- the common case, a plain queue: nothing before the one group's cursor is needed any more
    redis.call('XTRIM', k.stream, 'MINID', '~', lastRead)
    return
  end
  -- the slowest group's cursor (or the first leased entry), and the most entries some group has not read
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
  -- (leases without a record are made only without a count to keep; one left from before the
  -- retention changed holds the count's trimming back until it is acknowledged)
  if keepLen >= 0 and not leased then
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
