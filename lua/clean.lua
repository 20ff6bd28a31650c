--[[
  clean: delete a bounded batch of finished jobs (completed or failed) that finished before a
  cut-off; the caller repeats until it returns less than the batch. The last call of a clean
  (fewer than the batch, or `last`) announces the total with the group's event cleaned.

  KEYS[1] set        P:{Q}:g:G:completed or P:{Q}:g:G:failed
  KEYS[2] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] records    the group's record prefix: "P:{Q}:" for default, "P:{Q}:g:G:" for others
  ARGV[2] before     cut-off finish time (ms, exclusive)
  ARGV[3] batch      how many jobs at most (<= 1000)
  ARGV[4] base       key prefix "P:{Q}:"
  ARGV[5] group      group name
  ARGV[6] sofar      jobs the clean's earlier calls deleted
  ARGV[7] last       '1' when the caller stops after this call whatever it deletes

  Returns the ids deleted.
]]
-- @include deleteJobs
-- @include emit
local setKey = KEYS[1]
local rb, before, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local base, group, sofar, last = ARGV[4], ARGV[5], tonumber(ARGV[6]), ARGV[7] == '1'
emitFor(group)
local ids = redis.call('ZRANGEBYSCORE', setKey, '-inf', '(' .. before, 'LIMIT', 0, batch)
if #ids > 0 then
  deleteJobs(rb, ids)
  redis.call('ZREM', setKey, unpack(ids))
end
if (#ids < batch or last) and sofar + #ids > 0 then emit(base, 'cleaned', 'c', sofar + #ids) end
return ids
