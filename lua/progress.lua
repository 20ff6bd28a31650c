--[[
  progress: store a job's progress, only for the current lease holder.

  KEYS[1] job        the group's record: P:{Q}:job:<id> (default) or P:{Q}:g:G:job:<id>
  KEYS[2] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] token      the lease token of this delivery
  ARGV[2] progress   JSON
  ARGV[3] base       key prefix "P:{Q}:" (for the event)
  ARGV[4] id         job id
  ARGV[5] group      group name

  The progress event carries the value when it is at most 1 KiB (EVENT_VALUE_MAX); a larger
  one is left out (o = '0') and QueueEvents reads it from the record (pg).
  Returns 1 when stored, 0 when refused (not the current holder).
]]
-- @include emit
-- @include leasedEntry
-- @include keys
local jobKey = KEYS[1]
local token, progress, base, id, group = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
emitFor(group)
if not holdsLease(base .. Key.stream, jobKey, id, token) then return 0 end
eventSettings(base) -- every read before the first write
redis.call('HSET', jobKey, 'pg', progress)
if #progress <= EVENT_VALUE_MAX then
  emit(base, 'progress', 'j', id, 'p', progress)
else
  emit(base, 'progress', 'j', id, 'o', '0')
end
return 1
