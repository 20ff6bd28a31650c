-- recordBase(base, group): the prefix under which a group keeps its job records and logs.
-- The default group's record is the job's published record itself (base .. 'job:' .. id);
-- every other group keeps its own (base .. 'g:' .. group .. ':job:' .. id), so state,
-- attempts, failures and retention are per group (fan-out).
local function recordBase(base, group)
  if group == 'default' then return base end
  return base .. 'g:' .. group .. ':'
end
