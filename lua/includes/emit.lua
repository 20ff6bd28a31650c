-- emit(base, event, ...): append one lifecycle event to the queue's capped event stream
-- (base .. 'events'), written by the same script that made the change, so no event is ever
-- emitted for a change that did not happen. One entry may carry many jobs (field j: ids
-- separated by spaces, which ids cannot contain), to keep a batch at one command. The cap is
-- meta.eventsMaxLen (default 10,000 entries; 0 turns events off).
local eventsMaxLen = false
local function emit(base, event, ...)
  if eventsMaxLen == false then eventsMaxLen = tonumber(redis.call('HGET', base .. 'meta', 'eventsMaxLen')) or 10000 end
  if eventsMaxLen <= 0 then return end
  redis.call('XADD', base .. 'events', 'MAXLEN', '~', eventsMaxLen, '*', 'e', event, ...)
end
