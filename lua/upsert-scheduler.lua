--[[
  upsert-scheduler: create or update a repeating-job scheduler, by key. Idempotent: the same
  spec again (20 processes upserting at boot) keeps the planned next slot and only refreshes
  the job template; a changed spec replaces the next slot.

  KEYS[1] schedulers P:{Q}:schedulers        zset scheduler key -> next slot (ms)
  KEYS[2] scheduler  P:{Q}:scheduler:<key>   hash: spec, template, next, count
  KEYS[3] wake       P:{Q}:wake

  ARGV[1] key        scheduler key
  ARGV[2] spec       JSON repeat spec (normalised; see src/scheduling/repeat.ts)
  ARGV[3] template   JSON {name, data, opts, schedule} of the jobs it makes
  ARGV[4] first      the first slot for a new or changed spec (ms); -1 = none (already over)

  Returns the next slot (ms), or -1 when the schedule has no slot left.
]]
-- @include wake
local schedulersKey, schedulerKey, wakeKey = KEYS[1], KEYS[2], KEYS[3]
local key, spec, template, first = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

if redis.call('HGET', schedulerKey, 'spec') == spec then
  redis.call('HSET', schedulerKey, 'template', template)
  return tonumber(redis.call('ZSCORE', schedulersKey, key)) or -1
end
if first < 0 then
  -- no slot left (endDate in the past): nothing to keep
  redis.call('ZREM', schedulersKey, key)
  redis.call('DEL', schedulerKey)
  return -1
end
redis.call('HSET', schedulerKey, 'spec', spec, 'template', template, 'count', 0, 'next', first)
redis.call('ZADD', schedulersKey, first, key)
-- an idle worker (of any group: any group's worker fires slots) wakes at the first slot
wake(wakeKey, '*', first)
return first
