-- @include keys
-- @include trimFinished
-- @include emit
-- @include orderedKeys
-- @include textCaps
-- @include settings
-- @include flowParents
-- moveToFailedReads(base, rb, id, group): everything moveToFailed reads (the record's ordering
-- key and dedup id, the dedup key, the settings), read before any write (invariant 11 (docs/invariants.md): an
-- abort, e.g. on a key that migrated away in a Cluster, then changes nothing). A script that
-- writes before calling moveToFailed calls this first and passes the result in.
local function moveToFailedReads(base, rb, id, group)
  local held = redis.call('HMGET', Key.job(rb, id), 'ok', 'kr', 'dd', 'pb', 'pi', 'pp')
  local dedupKey = held[3] and Key.dedup(base, held[3])
  -- as releaseDedup: the id is freed unless it has a ttl or already belongs to another job
  if dedupKey and not (redis.call('GET', dedupKey) == id and redis.call('PTTL', dedupKey) == -1) then dedupKey = false end
  return {
    orderingKey = not held[2] and held[1],
    dedupKey = dedupKey,
    keyConcurrency = queueSettings(base, group).keyConcurrency,
    -- a flow child (only a published record names its parent): its parent hears of the failure
    parent = rb == base and held[4] and held[5] and { held[4], held[5], held[6] or 'f' },
    events = eventSettings(base),
  }
end

-- moveToFailed(failedKey, base, rb, id, now, reason, stack, keepCount, keepAgeMs, group, reads):
-- the final failure of a job in a group (rb: the group's record base): it joins the group's
-- failed set (the dead-letter set) with its reason (cut to REASON_MAX, its stack to STACK_MAX),
-- or is deleted at once when the retention keeps no failed jobs. An ordered job frees its key:
-- the key moves on (as after a dead letter in SQS FIFO). reads: from moveToFailedReads (read
-- here when not given). The move itself is the first write, bookkeeping and the event follow.
local function moveToFailed(failedKey, base, rb, id, now, reason, stack, keepCount, keepAgeMs, group, reads)
  reads = reads or moveToFailedReads(base, rb, id, group)
  local jobKey = Key.job(rb, id)
  reason = capText(tostring(reason), REASON_MAX)
  if keepCount == 0 then
    redis.call('DEL', jobKey, Key.logs(rb, id), Key.kids(rb, id))
  else
    redis.call('ZADD', failedKey, now, id)
    redis.call('HSET', jobKey, 's', 'failed', 'fo', now, 'fr', reason, 'st', capStack(type(stack) == 'string' and stack or '[]'), 'tk', '')
  end
  if reads.orderingKey then keyRelease(Key.group(base, group), reads.orderingKey, reads.keyConcurrency, id) end
  if reads.dedupKey then redis.call('DEL', reads.dedupKey) end
  emit(base, 'failed', 'j', id, 'r', reason)
  if keepCount ~= 0 then trimFinished(failedKey, rb, now, keepCount, keepAgeMs, 200) end
  if reads.parent then childSettled(jobKey, reads.parent[1], reads.parent[2], reads.parent[3], false, reason, now) end
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

-- a flow parent failed by a child (policy f, flowParents.lua): it fails for good as a job of
-- its queue's default group does, unless it no longer waits for its children
failFlowParent = function(pb, pid, reason, now)
  local parentKey = Key.job(pb, pid)
  if redis.call('HGET', parentKey, 's') ~= 'waiting-children' then return end
  redis.call('ZREM', pb .. Key.waitingChildren, pid)
  local keep = failedRetention(parentKey, { -1, -1 })
  moveToFailed(Key.group(pb, 'default') .. Key.failed, pb, pb, pid, now, reason, '[]', keep[1], keep[2], 'default')
end
