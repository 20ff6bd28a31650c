-- @include jobData
-- newRecord(jobKey, name, data, opts, now, sched): writes the record of a new job (state
-- waiting, no attempt, no delivery) with what its schedule keeps there: priority, lifo, ordering
-- key, start-by deadline (startBy, or now + ttl). Shared by enqueue and add-flow, which then
-- place the job (or delay it, or make it wait for children). Returns its priority (or nil).
local function newRecord(jobKey, name, data, opts, now, sched)
  local record = { 'n', name, 'o', opts, 'ts', now, 's', 'waiting', 'a', 0, 'dl', 0 }
  dataFields(record, data)
  redis.call('HSET', jobKey, unpack(record))
  local priority = tonumber(sched.priority)
  if priority then redis.call('HSET', jobKey, 'p', priority) end
  if sched.lifo then redis.call('HSET', jobKey, 'lf', 1) end
  if sched.orderingKey then redis.call('HSET', jobKey, 'ok', sched.orderingKey) end
  local startBy = tonumber(sched.startBy) or (tonumber(sched.ttl) and now + tonumber(sched.ttl))
  if startBy then redis.call('HSET', jobKey, 'sb', startBy) end
  return priority
end
