-- @include keys
-- Deduplication ids. base .. 'dedup:' .. D holds the id of the job that holds D (with a PX ttl
-- when one was given); base .. 'dedups' indexes them (D -> when it expires, ms of Redis time,
-- '+inf' without a ttl), so that obliterate finds them without scanning the keyspace.
local DEDUP_PRUNE = 10 -- expired index members dropped per hold (more than the one it adds)

-- dedupHold(base, dedupId, id, ttl, now): job `id` holds dedupId (for ttl ms, or until released)
local function dedupHold(base, dedupId, id, ttl, now)
  local index = base .. Key.dedupIndex
  if ttl then
    redis.call('SET', Key.dedup(base, dedupId), id, 'PX', ttl)
    redis.call('ZADD', index, now + ttl, dedupId)
  else
    redis.call('SET', Key.dedup(base, dedupId), id)
    redis.call('ZADD', index, '+inf', dedupId)
  end
  -- ids whose ttl ran out leave the index a few at a time: it stays about the size of the held ids
  local expired = redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, DEDUP_PRUNE)
  if #expired > 0 then redis.call('ZREM', index, unpack(expired)) end
end

-- dedupHeld(base, dedupId, taken): the job holding dedupId, or false. A holder whose record is
-- gone (taken(holder) false: removed, or finished and not kept) frees the id, unless the id was
-- given a ttl: then it is held for the whole ttl whatever became of its job (throttling).
local function dedupHeld(base, dedupId, taken)
  local dedupKey = Key.dedup(base, dedupId)
  local holder = redis.call('GET', dedupKey)
  if not holder then return false end
  if taken(holder) or redis.call('PTTL', dedupKey) > 0 then return holder end
  return false
end

-- releaseDedup(base, jobKey, id): a job that finishes for good (or is removed) frees its
-- deduplication id, unless that id was given a ttl (then it lasts its ttl) or already belongs
-- to another job. A record of another type (planted by hand) holds nothing.
local function releaseDedup(base, jobKey, id)
  local dedupId = redis.pcall('HGET', jobKey, 'dd')
  if type(dedupId) ~= 'string' then return end
  local dedupKey = Key.dedup(base, dedupId)
  if redis.call('GET', dedupKey) == id and redis.call('PTTL', dedupKey) == -1 then
    redis.call('DEL', dedupKey)
    redis.call('ZREM', base .. Key.dedupIndex, dedupId)
  end
end
