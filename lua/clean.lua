--[[
  clean: delete a bounded batch of finished jobs (completed or failed) that finished before a
  cut-off; the caller repeats until it returns less than the batch.

  KEYS[1] set        P:{Q}:g:G:completed or P:{Q}:g:G:failed

  ARGV[1] records    the group's record prefix: "P:{Q}:" for default, "P:{Q}:g:G:" for others
  ARGV[2] before     cut-off finish time (ms, exclusive)
  ARGV[3] batch      how many jobs at most (<= 1000)

  Returns the ids deleted.
]]
-- @include deleteJobs
local setKey = KEYS[1]
local rb, before, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', setKey, '-inf', '(' .. before, 'LIMIT', 0, batch)
if #ids > 0 then
  deleteJobs(rb, ids)
  redis.call('ZREM', setKey, unpack(ids))
end
return ids
