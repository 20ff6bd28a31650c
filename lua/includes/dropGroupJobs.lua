-- @include deleteJobs
-- @include orderedKeys
-- dropGroupJobs(g, rb, budget): delete up to `budget` of a group's jobs with their records (rb,
-- see records.lua): leased, retrying, prioritised, finished, in key lines, redeliveries; for
-- obliterate and removeGroup, which repeat while budget runs out. Returns the budget left.
local function dropGroupJobs(g, rb, budget)
  for _, name in ipairs({ 'active', 'retry', 'prio', 'completed', 'failed' }) do
    if budget > 0 then
      local ids = redis.call('ZRANGE', g .. name, 0, budget - 1)
      if #ids > 0 then
        deleteJobs(rb, ids)
        redis.call('ZREM', g .. name, unpack(ids))
        budget = budget - #ids
      end
    end
  end
  if budget > 0 then budget = budget - keyDrain(g, rb, budget, true) end
  if budget > 0 then
    local ids = redis.call('LPOP', g .. 'wait', budget)
    if ids then
      deleteJobs(rb, ids)
      budget = budget - #ids
    end
  end
  return budget
end
