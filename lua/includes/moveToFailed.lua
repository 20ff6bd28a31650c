-- @include trimFinished
-- @include dedup
-- @include emit
-- @include orderedKeys
-- moveToFailed(failedKey, base, rb, id, now, reason, stack, keepCount, keepAgeMs, group): the
-- final failure of a job in a group (rb: the group's record base): it joins the group's failed
-- set (the dead-letter set) with its reason, or is deleted at once when the retention keeps no
-- failed jobs. An ordered job frees its key: the key moves on (as after a dead letter in SQS FIFO).
local function moveToFailed(failedKey, base, rb, id, now, reason, stack, keepCount, keepAgeMs, group)
  local jobKey = rb .. 'job:' .. id
  local key = redis.call('HMGET', jobKey, 'ok', 'kr')
  local orderingKey = not key[2] and key[1]
  if orderingKey then keyRelease(base .. 'g:' .. group .. ':', orderingKey, queueSettings(base, group).keyConcurrency, id) end
  releaseDedup(base, jobKey, id)
  emit(base, 'failed', 'j', id, 'r', reason)
  if keepCount == 0 then
    redis.call('DEL', jobKey, rb .. 'logs:' .. id)
    return
  end
  redis.call('HSET', jobKey, 's', 'failed', 'fo', now, 'fr', reason, 'st', stack, 'tk', '')
  redis.call('ZADD', failedKey, now, id)
  trimFinished(failedKey, rb, now, keepCount, keepAgeMs, 200)
end

-- failedRetention(jobKey, fallback): the job's own removeOnFail as [count, ageMs], read from
-- its options (only on the rare paths where the worker cannot say: stalls, malformed records).
local function failedRetention(jobKey, fallback)
  local ok, opts = pcall(cjson.decode, redis.call('HGET', jobKey, 'o') or '{}')
  if not ok or type(opts) ~= 'table' then return fallback end
  local keep = opts.removeOnFail
  if keep == true then return { 0, -1 } end
  if keep == false then return { -1, -1 } end
  if type(keep) == 'number' then return { keep, -1 } end
  if type(keep) == 'table' then
    local age = tonumber(keep.age)
    return { tonumber(keep.count) or -1, age and math.floor(age * 1000) or -1 }
  end
  return fallback
end
