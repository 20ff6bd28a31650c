-- @include keys
-- @include settings
-- @include redisTime
-- @include textCaps
-- emit(base, event, ...): append one lifecycle event to the queue's event stream
-- (base .. 'events'), written by the same script that made the change, so no event is ever
-- emitted for a change that did not happen. One entry may carry many jobs (field j: ids
-- separated by spaces, which ids cannot contain), to keep a batch at one command.
-- The stream is bounded in entries and in age, and each entry in bytes:
-- - meta.eventsMaxLen entries (default 10,000; 0 turns events off), trimmed on every append;
-- - entries older than meta.eventsMaxAgeMs (default 24 h; 0: no age limit), trimmed on about
--   one append in 32 (XTRIM MINID ~: whole stream nodes, bounded work);
-- - a value travels inline only up to EVENT_VALUE_MAX bytes, and a completed event carries at
--   most EVENT_VALUES_MAX bytes of values: the others are left out and named in field o
--   (positions in j), and readers take them from the job's record (rv, pg) while it exists;
-- - failure reasons (field r) are cut to REASON_MAX bytes (textCaps).
-- A script acting for a group other than default calls emitFor(group) first: its events
-- then carry g = group, so QueueEvents of one group see only theirs.
-- Module state (for the script call): eventGroup, set by emitFor and read by every emit (call
-- emitFor before the first emit or eventSettings); eventsAgeTrimmed (one age trim per call).
local EVENT_VALUE_MAX = 1024    -- bytes of one return value or progress carried inline
local EVENT_VALUES_MAX = 8192   -- bytes of return values carried inline by one event
local eventGroup = false
local eventsAgeTrimmed = false
local function emitFor(group)
  if group ~= 'default' then eventGroup = group else eventGroup = false end
end

-- eventSettings(base): the settings emit uses (cached for the call). A script calls it before
-- its first write, so that no read of meta comes after a write (invariant 11
-- (docs/invariants.md)).
local function eventSettings(base)
  return queueSettings(base, eventGroup or 'default')
end

-- appendEvent(base, event, fields, queueWide): XADD of one event with its fields (a flat list);
-- queueWide: without g whatever emitFor set (the settings read stay those of emitFor's group)
local function appendEvent(base, event, fields, queueWide)
  local settings = eventSettings(base)
  if settings.eventsMaxLen <= 0 then return end
  local key = base .. Key.events
  local args = { 'XADD', key, 'MAXLEN', '~', settings.eventsMaxLen, '*', 'e', event }
  if eventGroup and not queueWide then
    args[#args + 1] = 'g'
    args[#args + 1] = eventGroup
  end
  for i = 1, #fields do args[#args + 1] = fields[i] end
  local id = redis.call(unpack(args))
  -- the age trim runs on about one append in 32 (chosen by the entry id's ms), not on each:
  -- it costs a command, and under load the entry cap trims first anyway
  if settings.eventsMaxAgeMs > 0 and not eventsAgeTrimmed and tonumber(string.match(id, '^(%d+)')) % 32 == 0 then
    eventsAgeTrimmed = true
    redis.call('XTRIM', key, 'MINID', '~', redisTime() - settings.eventsMaxAgeMs)
  end
end

local function emit(base, event, ...)
  local fields = { ... }
  -- a call site passes a handful of fields
  for i = 1, #fields - 1, 2 do
    if fields[i] == 'r' then fields[i + 1] = capText(tostring(fields[i + 1]), REASON_MAX) end
  end
  appendEvent(base, event, fields)
end

-- emitQueueWide(base, event, ...): an event about the queue as a whole (no g), whatever group
-- emitFor set for the script's other events
local function emitQueueWide(base, event, ...)
  appendEvent(base, event, { ... }, true)
end

-- emitCompleted(base, ids, values): the completed event of an ack batch (at most 1,000 jobs).
-- r is a JSON array of the return values in the order of j; a value left out (over
-- EVENT_VALUE_MAX, or past EVENT_VALUES_MAX in all) is null in r and its position is in o.
local function emitCompleted(base, ids, values)
  if eventSettings(base).eventsMaxLen <= 0 then return end
  local inline, omitted, room = {}, {}, EVENT_VALUES_MAX
  for i = 1, #values do
    local value = values[i]
    if value ~= '' and #value <= EVENT_VALUE_MAX and #value <= room then
      inline[i] = value
      room = room - #value
    else
      inline[i] = 'null'
      omitted[#omitted + 1] = i - 1
    end
  end
  local fields = { 'j', table.concat(ids, ' '), 'r', '[' .. table.concat(inline, ',') .. ']' }
  if #omitted > 0 then
    fields[5] = 'o'
    fields[6] = table.concat(omitted, ' ')
  end
  appendEvent(base, 'completed', fields)
end
