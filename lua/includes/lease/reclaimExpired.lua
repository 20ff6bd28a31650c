-- @include lease/context
-- @include keys
-- @include moveToFailed
-- @include wake
-- @include leasedEntry
-- reclaimExpired(ctx): leases that ran out (the worker crashed, froze or lost Redis: invariant
-- 3 (docs/invariants.md)), at most RECLAIM_MAX per call. Each counts a stall (field sc); within
-- config.maxStalls the job goes back to the front of the group's wait list, past it the job is
-- dead-lettered. The ids go to ctx.stalled.
local RECLAIM_MAX = 100

local function reclaimExpired(ctx)
  local keys, records, now = ctx.keys, ctx.records, ctx.now
  local head = headOf(ctx, keys.active)
  if not head or head > now then return end
  local expired = redis.call('ZRANGEBYSCORE', keys.active, '-inf', now, 'LIMIT', 0, RECLAIM_MAX)
  if #expired == 0 then return end
  redis.call('ZREM', keys.active, unpack(expired))
  headChanged(ctx, keys.active)
  local stalled, back = ctx.stalled, {}
  for i = 1, #expired do
    local id = expired[i]
    local jobKey = Key.job(records, id)
    local fields = readJob(ctx, records, id, 's', 'sc')
    -- leased without a record: it gets one now, and comes back as any job does
    if fields and not fields[1] and recordLease(keys.stream, jobKey, id, '') then fields = { 'active' } end
    if fields and fields[1] then
      stalled[#stalled + 1] = id
      local stalls = (tonumber(fields[2]) or 0) + 1
      redis.call('HSET', jobKey, 'sc', stalls)
      if stalls > ctx.config.maxStalls then
        local reason = 'job stalled ' .. stalls .. ' times: its worker stopped renewing the lease (crash or freeze)'
        local keep = failedRetention(jobKey, ctx.config.keepFailed)
        moveToFailed(keys.failed, ctx.base, records, id, now, reason, '[]', keep[1], keep[2], ctx.group)
        addDead(ctx, id, reason)
      else
        redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')
        back[#back + 1] = id
      end
    end
  end
  -- reclaimed jobs go to the front of the line: they were leased before anything now waiting;
  -- other idle workers are woken too, in case this call cannot take them all
  if #back > 0 then
    local reversed = {}
    for i = #back, 1, -1 do reversed[#reversed + 1] = back[i] end
    redis.call('LPUSH', keys.wait, unpack(reversed))
    wake(keys.wake, ctx.group)
  end
end
