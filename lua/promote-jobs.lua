--[[
  promote-jobs: run a bounded batch of delayed jobs and of a group's scheduled retries now,
  whatever their due time (queue.promoteJobs()), the earliest due first. Each job moves as
  job.promote() moves it (lua/includes/promoteJob.lua). The caller repeats until a call takes
  fewer entries than asked for. Delayed jobs are the queue's (one set for every group):
  promoted, they reach every group. Retries are the group's. Events: due (the delayed jobs,
  queue-wide) and waiting (the retries, the group's), one entry each per call.

  KEYS[1] delayed    P:{Q}:delayed
  KEYS[2] retry      P:{Q}:g:G:retry
  KEYS[3] stream     P:{Q}:stream
  KEYS[4] wait       P:{Q}:g:G:wait
  KEYS[5] failed     P:{Q}:g:G:failed
  KEYS[6] wake       P:{Q}:wake
  KEYS[7] groups     P:{Q}:groups

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name (whose retries move)
  ARGV[3] batch      entries to take at most (<= 1000)

  Returns { promoted, taken }: the jobs made waiting, and the entries taken from the two sets.
  An entry whose job is no longer delayed (stale) is dropped; one whose record is not a hash
  (planted by hand) is dead-lettered to the group's failed set, as a lease would do.
]]
-- @include keys
-- @include redisTime
-- @include promoteJob
-- @include wake
-- @include emit
local delayedKey, retryKey, failedKey = KEYS[1], KEYS[2], KEYS[5]
local k = { delayed = delayedKey, retry = retryKey, stream = KEYS[3], wait = KEYS[4], wake = KEYS[6], groups = KEYS[7] }
local base, group, batch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local rb = Key.records(base, group)
emitFor(group)

-- every read before the first write (invariant 11 (docs/invariants.md))
-- the earliest due first across the two sets: the first `batch` of each, merged by score
local delayed = redis.call('ZRANGE', delayedKey, 0, batch - 1, 'WITHSCORES')
local retries = redis.call('ZRANGE', retryKey, 0, batch - 1, 'WITHSCORES')
local picked = {}
local d, r = 1, 1
for _ = 1, batch do
  local fromDelayed
  if d <= #delayed and r <= #retries then fromDelayed = tonumber(delayed[d + 1]) <= tonumber(retries[r + 1])
  elseif d <= #delayed then fromDelayed = true
  elseif r <= #retries then fromDelayed = false
  else break end
  if fromDelayed then
    picked[#picked + 1] = { true, delayed[d] }
    d = d + 2
  else
    picked[#picked + 1] = { false, retries[r] }
    r = r + 2
  end
end
if #picked == 0 then return { 0, 0 } end
local fields = {}
for i = 1, #picked do
  -- pcall: a key of another type (planted by hand) must not stop the call
  fields[i] = redis.pcall('HMGET', Key.job(picked[i][1] and base or rb, picked[i][2]), unpack(PROMOTE_FIELDS))
end
local now = redisTime()

local promoted, dueIds, retryIds = 0, {}, {}
for i = 1, #picked do
  local fromDelayed, id, f = picked[i][1], picked[i][2], fields[i]
  if f.err then
    redis.call('ZREM', fromDelayed and delayedKey or retryKey, id)
    redis.call('ZADD', failedKey, now, id)
  elseif f[1] ~= 'delayed' then
    -- a stale entry: its job was removed or moved on; it must not run twice
    redis.call('ZREM', fromDelayed and delayedKey or retryKey, id)
  elseif fromDelayed then
    promoteDelayed(k, base, id, f)
    promoted = promoted + 1
    dueIds[#dueIds + 1] = id
  else
    promoteRetry(k, rb, id)
    promoted = promoted + 1
    retryIds[#retryIds + 1] = id
  end
end
-- idle workers lease the jobs at once, as after an enqueue
if #dueIds > 0 then
  wake(k.wake, '*')
  emitQueueWide(base, 'due', 'j', table.concat(dueIds, ' '))
end
if #retryIds > 0 then
  wake(k.wake, group)
  emit(base, 'waiting', 'j', table.concat(retryIds, ' '))
end
return { promoted, #picked }
