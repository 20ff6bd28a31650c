-- @include lease/context
-- @include keys
-- @include placeWaiting
-- @include wake
-- @include orderedKeys
-- @include emit
-- promoteDue(ctx, bound): the work that comes due while no one looks, done by whichever worker
-- leases (no leader, invariant 5 (docs/invariants.md)): due delayed jobs (the queue's: placed
-- for every group, placeWaiting) and the group's due retries (to the end of its wait list), in
-- score order (which keeps the order jobs due at the same ms were scheduled in: see dueScore),
-- the whole current ms (scores below now + 1), at most `bound` of each; and keys parked by a
-- per-key limit go back into the ring. Returns whether a bound was reached (more may be due).
-- Events: due (queue-wide: delayed jobs placed for every group) and waiting (the group's due
-- retries); QueueEvents delivers both as waiting. The caller has called emitFor.
local function promoteDue(ctx, bound)
  local keys, base, records, now = ctx.keys, ctx.base, ctx.records, ctx.now
  local upTo = string.format('(%d', now + 1)
  -- each set is peeked first (headOf): nothing due, the common case, costs one command, whose
  -- answer nextWakeIn uses too
  local dueHead, retryHead = headOf(ctx, keys.delayed), headOf(ctx, keys.retry)
  local due = {}
  if dueHead and dueHead < now + 1 then
    due = redis.call('ZRANGEBYSCORE', keys.delayed, '-inf', upTo, 'LIMIT', 0, bound)
    headChanged(ctx, keys.delayed)
  end
  local promoted = {}
  for i = 1, #due do
    local id = due[i]
    local fields = readJob(ctx, base, id, 's', 'p', 'lf', 'ok')
    if fields then
      local state, priority, lifo, orderingKey = fields[1], fields[2], fields[3], fields[4]
      if state == 'delayed' then
        redis.call('HSET', Key.job(base, id), 's', 'waiting')
        placeWaiting(keys, base, id, tonumber(priority), lifo == '1', orderingKey)
        promoted[#promoted + 1] = id
      end
    end
  end
  if #due > 0 then
    redis.call('ZREM', keys.delayed, unpack(due))
    -- the promoted jobs reach every group: an idle worker of each is woken, but not of this
    -- call's group when a woken worker makes it (leaseJobs wakes the next one if it leaves
    -- any behind)
    wake(keys.wake, '*', 0, ctx.config.woke and ctx.group or nil)
  end
  if #promoted > 0 then emitQueueWide(base, 'due', 'j', table.concat(promoted, ' ')) end
  local retries = {}
  if retryHead and retryHead < now + 1 then
    retries = redis.call('ZRANGEBYSCORE', keys.retry, '-inf', upTo, 'LIMIT', 0, bound)
    headChanged(ctx, keys.retry)
  end
  local ready = {}
  for i = 1, #retries do
    -- only a job still waiting out its backoff: a stale entry must not run a job twice
    local fields = readJob(ctx, records, retries[i], 's')
    if fields and fields[1] == 'delayed' then
      redis.call('HSET', Key.job(records, retries[i]), 's', 'waiting')
      ready[#ready + 1] = retries[i]
    end
  end
  if #ready > 0 then
    redis.call('RPUSH', keys.wait, unpack(ready))
    emit(base, 'waiting', 'j', table.concat(ready, ' '))
  end
  if #retries > 0 then redis.call('ZREM', keys.retry, unpack(retries)) end
  if ctx.settings.keyLimitMax > 0 and not ctx.quiet then keyUnpark(ctx.groupPrefix, now, true) end
  return #due >= bound or #retries >= bound
end
