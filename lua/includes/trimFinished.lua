-- @include deleteJobs
-- trimFinished(setKey, rb, now, keepCount, keepAgeMs, bound): apply a retention policy to a
-- completed/failed set. Drops jobs older than keepAgeMs, then the oldest beyond keepCount;
-- a negative value means "no limit". At most `bound` jobs per call keeps the script short;
-- every finish calls it again, so the set converges.
local function trimFinished(setKey, rb, now, keepCount, keepAgeMs, bound)
  local removed = 0
  if keepAgeMs >= 0 then
    local old = redis.call('ZRANGEBYSCORE', setKey, '-inf', now - keepAgeMs, 'LIMIT', 0, bound)
    if #old > 0 then
      deleteJobs(rb, old)
      redis.call('ZREM', setKey, unpack(old))
      removed = #old
    end
  end
  if keepCount >= 0 and removed < bound then
    local excess = redis.call('ZCARD', setKey) - keepCount
    if excess > bound - removed then excess = bound - removed end
    if excess > 0 then
      deleteJobs(rb, redis.call('ZRANGE', setKey, 0, excess - 1))
      redis.call('ZREMRANGEBYRANK', setKey, 0, excess - 1)
    end
  end
end
