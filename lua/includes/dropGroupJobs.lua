-- @include keys
-- @include deleteJobs
-- @include orderedKeys
-- dropGroupJobs(base, group, budget): delete up to `budget` of a group's jobs with their records
-- (see records.lua; published ones free their deduplication ids): leased, retrying,
-- prioritised, finished, in key lines, redeliveries; for obliterate and removeGroup, which
-- repeat while the budget runs out. The scan of the group's ordering keys keeps its cursor
-- between calls in meta ('keyscan:' .. group). Returns the budget left.
local function dropGroupJobs(base, group, budget)
  local g, rb = Key.group(base, group), Key.records(base, group)
  for _, name in ipairs({ 'active', 'retry', 'prio', 'completed', 'failed' }) do
    if budget > 0 then
      local ids = redis.call('ZRANGE', g .. name, 0, budget - 1)
      if #ids > 0 then
        deleteRecords(base, rb, ids)
        redis.call('ZREM', g .. name, unpack(ids))
        budget = budget - #ids
      end
    end
  end
  if budget > 0 then
    local metaKey, field = base .. Key.meta, 'keyscan:' .. group
    local _, used, cursor = keyDrain(g, base, rb, budget, true, redis.call('HGET', metaKey, field) or '0')
    budget = budget - used
    if cursor then redis.call('HSET', metaKey, field, cursor) else redis.call('HDEL', metaKey, field) end
  end
  if budget > 0 then
    local ids = redis.call('LPOP', g .. Key.wait, budget)
    if ids then
      deleteRecords(base, rb, ids)
      budget = budget - #ids
    end
  end
  return budget
end
