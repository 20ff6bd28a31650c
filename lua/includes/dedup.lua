-- releaseDedup(base, jobKey, id): a job that finishes for good frees its deduplication id,
-- unless that id was given a ttl (then it lasts its ttl) or already belongs to another job.
local function releaseDedup(base, jobKey, id)
  local dedupId = redis.call('HGET', jobKey, 'dd')
  if not dedupId then return end
  local dedupKey = base .. 'dedup:' .. dedupId
  if redis.call('GET', dedupKey) == id and redis.call('PTTL', dedupKey) == -1 then
    redis.call('DEL', dedupKey)
  end
end
