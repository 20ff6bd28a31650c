--[[
  update-data: replace a job's data (job.updateData), in the record its group reads it from: the
  group's own record when it has one (waiting with a record, active, a retry, a step job between
  steps), else the published record (a delayed job no group has taken yet). A finished job is
  refused; a job with no record (a plain job in its stream entry) is not found.

  KEYS[1] job        P:{Q}:job:<id>     the published record
  KEYS[2] wake       P:{Q}:wake         never written: declared so that Redis refuses this call
                                        whole while the queue's slot migrates (lua/README.md)

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] id         job id
  ARGV[4] data       the new data (JSON, checked by the caller)

  Returns { outcome, state }: outcome 'ok', 'finished' (state: completed or failed, nothing
  written) or 'notFound' (no record in the group nor a published one; state '').
]]
-- @include keys
local jobKey = KEYS[1]
local base, group, id, data = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local target = Key.job(Key.records(base, group), id)
local state = redis.call('HGET', target, 's')
if not state and target ~= jobKey then
  -- not met by the group yet: the published record is the one it will read
  target = jobKey
  state = redis.call('HGET', jobKey, 's')
end
if not state then return { 'notFound', '' } end
if state == 'completed' or state == 'failed' then return { 'finished', state } end
redis.call('HSET', target, 'd', data)
return { 'ok', state }
