--[[
  enqueue: add a batch of jobs (one add() is a batch of one).
  - A plain job (no id of its own, no delay, no priority) lives only in its stream entry until
    a worker leases it: fields n (name), d (data), o (options); its id is the entry id. That
    keeps a waiting job at the size of its payload (no hash, no index).
  - A job with its own id, a delay or a priority gets a record hash job:<id> at once; an
    immediate one is announced by a stream entry with field j = id, a delayed one waits in the
    delayed set, a prioritised one in the group's priority set. A job whose own id exists
    already is left untouched and reported as existing.

  KEYS[1] id         P:{Q}:id           counter for generated ids of hash-backed jobs
  KEYS[2] stream     P:{Q}:stream
  KEYS[3] delayed    P:{Q}:delayed
  KEYS[4] prio       P:{Q}:g:default:prio
  KEYS[5] groups     P:{Q}:groups       (declared for the cluster slot check; the lease creates the group)
  KEYS[6] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2..] jobs     six per job: id ('' = generate), name, data (JSON), opts (JSON),
                     delayMs (0 = none), priority (0 = none)

  Returns a flat array: now (ms, Redis time), then id, created (1 new / 0 existed), ... in the
  order given.
]]
-- @include redisTime
-- @include wake
local idKey, streamKey, delayedKey, prioKey, wakeKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6]
local base = ARGV[1]
local now = redisTime()

-- (the default group is created by the first lease, reading from the start of the stream)
local generated, anyDelayed = 0, false
for i = 2, #ARGV, 6 do
  local scheduled = ARGV[i + 4] ~= '0' or ARGV[i + 5] ~= '0'
  if ARGV[i] == '' and scheduled then generated = generated + 1 end
  if ARGV[i + 4] ~= '0' then anyDelayed = true end
end
local nextId = 0
if generated > 0 then nextId = redis.call('INCRBY', idKey, generated) - generated end

local earliestDue
if anyDelayed then earliestDue = tonumber(redis.call('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')[2]) end
local mustWake = false
local reply = { now }
for i = 2, #ARGV, 6 do
  local id = ARGV[i]
  local plain = id == '' and ARGV[i + 4] == '0' and ARGV[i + 5] == '0'
  if plain then
    id = redis.call('XADD', streamKey, '*', 'n', ARGV[i + 1], 'd', ARGV[i + 2], 'o', ARGV[i + 3])
  elseif id == '' then
    nextId = nextId + 1
    id = tostring(nextId)
  end
  local jobKey = base .. 'job:' .. id
  if plain then
    reply[#reply + 1] = id
    reply[#reply + 1] = 1
  elseif id == ARGV[i] and redis.call('EXISTS', jobKey) == 1 then
    reply[#reply + 1] = id
    reply[#reply + 1] = 0
  else
    local delayMs, priority = tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
    local state = delayMs > 0 and 'delayed' or 'waiting'
    redis.call('HSET', jobKey, 'n', ARGV[i + 1], 'd', ARGV[i + 2], 'o', ARGV[i + 3], 'ts', now, 's', state, 'a', 0, 'dl', 0)
    if priority > 0 then redis.call('HSET', jobKey, 'p', priority) end
    if delayMs > 0 then
      local due = now + delayMs
      redis.call('HSET', jobKey, 'du', due)
      redis.call('ZADD', delayedKey, due, id)
      if not earliestDue or due < earliestDue then
        earliestDue = due
        mustWake = true
      end
    elseif priority > 0 then
      local seq = redis.call('INCR', base .. 'pseq') % 4294967296
      redis.call('ZADD', prioKey, priority * 4294967296 + seq, id)
      mustWake = true
    else
      redis.call('XADD', streamKey, '*', 'j', id)
    end
    reply[#reply + 1] = id
    reply[#reply + 1] = 1
  end
end
-- idle workers block on the stream; delayed and prioritised jobs need a nudge
if mustWake then wake(wakeKey, 'default') end
return reply
