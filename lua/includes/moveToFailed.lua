-- @include trimFinished
-- moveToFailed(failedKey, base, id, now, reason, stack, keepCount, keepAgeMs): the final
-- failure of a job: it joins the group's failed set (the dead-letter set) with its reason,
-- or is deleted at once when the retention keeps no failed jobs.
local function moveToFailed(failedKey, base, id, now, reason, stack, keepCount, keepAgeMs)
  local jobKey = base .. 'job:' .. id
  if keepCount == 0 then
    redis.call('DEL', jobKey, jobKey .. ':logs')
    return
  end
  redis.call('HSET', jobKey, 's', 'failed', 'fo', now, 'fr', reason, 'st', stack, 'tk', '')
  redis.call('ZADD', failedKey, now, id)
  trimFinished(failedKey, base, now, keepCount, keepAgeMs, 200)
end
