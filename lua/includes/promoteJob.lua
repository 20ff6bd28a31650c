-- @include keys
-- @include placeWaiting
-- The move of a promotion: a delayed job or a scheduled retry becomes waiting now, whatever its
-- due time. Shared by change-delay.lua (job.promote(), changeDelay(0)) and promote-jobs.lua
-- (queue.promoteJobs()), so a job promoted one way or the other lands in the same place. The
-- caller reads the record (PROMOTE_FIELDS) before its first write (invariant 11 (docs/invariants.md)) and wakes the
-- workers afterwards: every group's after a delayed job, the job's group's after a retry.

-- the record fields a caller reads first: state, priority, lifo, ordering key
local PROMOTE_FIELDS = { 's', 'p', 'lf', 'ok' }

-- promoteDelayed(k, base, id, fields): a job of the queue's delayed set (no group has it yet)
-- leaves the set and is placed for every group as a due job is (placeWaiting: the stream, or
-- each group's priority set, the front of its wait list, the end of its key's line).
-- k needs: delayed, stream, groups, wake. fields: the record's PROMOTE_FIELDS.
local function promoteDelayed(k, base, id, fields)
  local jobKey = Key.job(base, id)
  redis.call('ZREM', k.delayed, id)
  redis.call('HSET', jobKey, 's', 'waiting')
  redis.call('HDEL', jobKey, 'du')
  placeWaiting(k, base, id, tonumber(fields[2]), fields[3] == '1', fields[4])
end

-- promoteRetry(k, rb, id): a job waiting out its retry backoff (the group's retry set; its
-- record is the group's, under rb) goes to the end of the group's wait list, as a due retry
-- does. k needs: retry, wait.
local function promoteRetry(k, rb, id)
  local jobKey = Key.job(rb, id)
  redis.call('ZREM', k.retry, id)
  redis.call('HSET', jobKey, 's', 'waiting')
  redis.call('HDEL', jobKey, 'du')
  redis.call('RPUSH', k.wait, id)
end
