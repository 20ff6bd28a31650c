-- @include keys
-- @include dedup
-- A group's records: the prefix under which a group keeps its job records and logs is
-- Key.records(base, group) (keys.lua). The default group's record is the job's published
-- record itself (Key.job(base, id)); every other group keeps its own (under Key.group(base,
-- group)), so state, attempts, failures and retention are per group (fan-out).

-- releasePublished(base, id): a group other than default took its own copy of a job (or gave
-- up on it, drained). In a queue without a default group the published record lives until
-- every group has done so (field pend counts down); then it goes, with its deduplication id
-- (a copy does not hold one: it is the published job's, released once).
local function releasePublished(base, id)
  local published = Key.job(base, id)
  if redis.pcall('HEXISTS', published, 'pend') == 1 and redis.call('HINCRBY', published, 'pend', -1) <= 0 then
    releaseDedup(base, published, id)
    redis.call('DEL', published)
  end
end
