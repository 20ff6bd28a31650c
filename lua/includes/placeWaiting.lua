-- @include wake
-- placeWaiting(k, base, id, priority, lifo): put a job that has a record and is ready to run
-- where the group's workers will find it: the priority set (by priority, FIFO within one), the
-- front of the redelivery list (lifo), or the stream (every group receives it).
-- k needs: stream, prio, wait, wake. Returns true when idle workers must be woken (they block
-- on the stream only).
local function placeWaiting(k, base, id, priority, lifo)
  if priority then
    local seq = redis.call('INCR', base .. 'pseq') % 4294967296
    redis.call('ZADD', k.prio, priority * 4294967296 + seq, id)
    return true
  end
  if lifo then
    redis.call('LPUSH', k.wait, id)
    return true
  end
  -- the entry id is kept, so that removing the job can delete its entry too
  redis.call('HSET', base .. 'job:' .. id, 'se', redis.call('XADD', k.stream, '*', 'j', id))
  return false
end
