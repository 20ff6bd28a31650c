-- @include settings
-- emit(base, event, ...): append one lifecycle event to the queue's capped event stream
-- (base .. 'events'), written by the same script that made the change, so no event is ever
-- emitted for a change that did not happen. One entry may carry many jobs (field j: ids
-- separated by spaces, which ids cannot contain), to keep a batch at one command. The cap is
-- meta.eventsMaxLen (default 10,000 entries; 0 turns events off).
-- A script acting for a group other than default calls emitFor(group) first: its events
-- then carry g = group, so QueueEvents of one group see only theirs.
local eventGroup = false
local function emitFor(group)
  if group ~= 'default' then eventGroup = group else eventGroup = false end
end
local function emit(base, event, ...)
  local cap = queueSettings(base, eventGroup or 'default').eventsMaxLen
  if cap <= 0 then return end
  if eventGroup then
    redis.call('XADD', base .. 'events', 'MAXLEN', '~', cap, '*', 'e', event, 'g', eventGroup, ...)
  else
    redis.call('XADD', base .. 'events', 'MAXLEN', '~', cap, '*', 'e', event, ...)
  end
end
