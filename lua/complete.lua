--[[
  complete: acknowledge a batch of finished jobs, then lease the next batch in the same call
  (the hot path: one round trip settles and refills a worker).

  FLAGS allow-oom   (acks free memory (a full Redis must drain))

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] wake       P:{Q}:wake
  KEYS[3] groups     P:{Q}:groups
  KEYS[4] delayed    P:{Q}:delayed
  KEYS[5] wait       P:{Q}:g:G:wait
  KEYS[6] active     P:{Q}:g:G:active
  KEYS[7] retry      P:{Q}:g:G:retry
  KEYS[8] prio       P:{Q}:g:G:prio
  KEYS[9] failed     P:{Q}:g:G:failed
  KEYS[10] paused    P:{Q}:g:G:paused
  KEYS[11] completed P:{Q}:g:G:completed  zset job id -> finished time (ms)
  KEYS[12] schedulers P:{Q}:schedulers
  KEYS[13] limiter   P:{Q}:g:G:limiter

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] consumer   worker id
  ARGV[4] nonce      random string unique to this call
  ARGV[5] count      how many jobs to lease after the acks (0: none; "count:slots" as in lease.lua)
  ARGV[6] config     JSON, as in lease.lua
  ARGV[7..] acks     five per job: id, token, returnvalue (JSON), keepCount, keepAgeMs
                     (keep -1: no limit; keepCount 0: delete the job at once). A token
                     written "=token" marks an ack sent again after a call that got no answer.

  An ack counts only when the token is the job's current one (the worker still holds the
  lease); others are refused and change nothing. Acks are idempotent: a completed job keeps
  "=token" of the delivery that completed it in tk (never equal to a live token), and an ack
  of that same delivery is accepted again without changing anything; a resent ack whose job
  record is gone is accepted too (its first run deleted it: keepCount 0). A job leased without a
  record (lua/includes/leasedEntry.lua) is acknowledged by XACK: its entry was pending, so the lease
  is the current one.
  Returns: nRefused, refused ids..., then the lease reply (see lease.lua).
]]
-- @include redisTime
-- @include keys
-- @include leaseToken
-- @include lease/leaseJobs
-- @include dedup
-- @include emit
-- @include settings
-- @include orderedKeys
-- @include trimFinished
-- @include flowParents
-- @include wake
-- @include deleteJobs
-- @include leasedEntry
local keys = {
  stream = KEYS[1], wake = KEYS[2], groups = KEYS[3], delayed = KEYS[4], wait = KEYS[5],
  active = KEYS[6], retry = KEYS[7], prio = KEYS[8], failed = KEYS[9], paused = KEYS[10],
  completed = KEYS[11], schedulers = KEYS[12], limiter = KEYS[13],
}
local base, group, consumer, nonce = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local config = cjson.decode(ARGV[6])
local count = leaseCount(ARGV[5], config)
local now = redisTime()
-- written per job: as text once (a number argument is formatted per use)
local nowText = tostring(now)
local rb, g = Key.records(base, group), Key.group(base, group)
emitFor(group)
-- (read before the first write, with the events' settings: see lua/compile.mjs, invariant 11
-- (docs/invariants.md))
local settings = queueSettings(base, group)

-- removed: the ids deleted at once (keepCount 0), in one DEL per chunk after the loop, not one
-- per job; applied: the ids whose ack counted, so that the same id again in the batch (its
-- record not deleted yet) counts once
local refused, finished, kept, results, removed, applied = {}, {}, {}, {}, {}, {}
-- the acks of jobs that may be leased without a record (deleted on completion, default group)
-- are acknowledged in one XACK first (leasedEntry.lua): acknowledged = all of them, each was
-- pending, so each is a job leased without a record whose lease is current; some of them, each
-- one without a record that is still in the active set was (a job there has a record or a
-- pending entry), the others go the record's way; none, all do
local leasedEntries = ackLeasedEntries(keys.stream, rb == base, ARGV, 7, 5)
local keepCount, keepAgeMs = -1, -1
for i = 7, #ARGV, 5 do
  local id, token = ARGV[i], ARGV[i + 1]
  local resent = string.sub(token, 1, 1) == '='
  if resent then token = string.sub(token, 2) end
  local jobKey = Key.job(rb, id)
  -- a record clobbered with another type is refused, not an error that fails the whole batch's acks;
  -- its lease runs out and the lease script dead-letters it (readJob)
  -- a job leased without a record: acknowledged above (a plain job: no deduplication id,
  -- ordering key or parent)
  local leasedEntry = not applied[id] and leasedEntries.all and leasedEntries[id]
  local held = leasedEntry or applied[id] or redis.pcall('HMGET', jobKey, 'tk', 'dd', 'ok', 'kr', 'pb', 'pi')
  if held ~= true and not leasedEntry and leasedEntries.some and leasedEntries[id] and not held.err and not held[1] then
    leasedEntry = redis.call('ZSCORE', keys.active, id) ~= false
  end
  if leasedEntry then
    applied[id] = true
    finished[#finished + 1] = id
    results[#results + 1] = ARGV[i + 2]
  elseif held == true then
    -- the same job again in this batch, after its ack counted (an ack is idempotent)
  elseif held.err then
    refused[#refused + 1] = id
  elseif token ~= '' and held[1] == '=' .. token then
    -- already completed by this very delivery (an ack applied before its reply was lost)
  elseif resent and not held[1] and redis.call('EXISTS', jobKey) == 0 then
    -- resent, and the record is gone: the first run of this ack deleted it (keepCount 0)
  elseif isCurrentToken(held[1], token) then
    applied[id] = true
    finished[#finished + 1] = id
    results[#results + 1] = ARGV[i + 2]
    if held[2] then releaseDedup(base, jobKey, id) end
    -- an ordered job: its key's next job may go
    if held[3] and not held[4] then keyRelease(g, held[3], settings.keyConcurrency) end
    if ARGV[i + 3] == '0' then
      removed[#removed + 1] = id
    else
      -- the policy of the latest kept job in the batch applies to the set
      keepCount, keepAgeMs = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
      redis.call('HSET', jobKey, 's', 'completed', 'fo', nowText, 'rv', ARGV[i + 2], 'tk', '=' .. token)
      kept[#kept + 1] = nowText
      kept[#kept + 1] = id
    end
    -- a flow child (its published record names the parent): the parent gets its value
    if held[5] and held[6] and rb == base then childSettled(jobKey, held[5], held[6], 'f', ARGV[i + 2], false, now) end
  else
    refused[#refused + 1] = id
  end
end
if #removed > 0 then deleteJobs(rb, removed) end
if #finished > 0 then
  redis.call('ZREM', keys.active, unpack(finished))
  -- one event for the batch; values over 1 KiB are read from the record (emitCompleted)
  emitCompleted(base, finished, results)
end
if #kept > 0 then
  redis.call('ZADD', keys.completed, unpack(kept))
  trimFinished(keys.completed, rb, now, keepCount, keepAgeMs, #kept + 100)
end

local reply = { #refused }
for i = 1, #refused do reply[#reply + 1] = refused[i] end
local leased = leaseJobs(keys, base, group, consumer, nonce, count, config, now)
wakeForKeys(g, keys.wake, group)
-- a group capped by setGlobalConcurrency: the slots these acks freed go to an idle worker
-- when this call leased nothing in their place
if settings.groupConcurrency > 0 and #finished > 0 and count == 0 then wake(keys.wake, group) end
for i = 1, #leased do reply[#reply + 1] = leased[i] end
return reply
