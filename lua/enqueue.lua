--[[
  enqueue: add a batch of jobs (one add() is a batch of one).
  - A plain job (no id of its own, nothing scheduled) lives only in its stream entry until a
    worker leases it: fields n (name), d (data), o (options); its id is the entry id. That
    keeps a waiting job at the size of its payload (no hash, no index).
  - Any other job gets a record hash job:<id> at once and is placed by its schedule: the
    delayed set (delay), each group's priority set (priority), the front of each group's
    redelivery list (lifo), or the stream as an entry j = id (see placeWaiting: fan-out).
  - A job whose own id exists already is left untouched and reported as existing. A job whose
    deduplication id is held (by a job that still exists, or, for an id given a ttl, until the
    ttl runs out) is not added: the holder is reported, and with replace (debounce) the holder,
    if it still waits, takes the new data, options and delay.

  KEYS[1] id         P:{Q}:id           counter for generated ids of jobs with a record
  KEYS[2] stream     P:{Q}:stream
  KEYS[3] delayed    P:{Q}:delayed
  KEYS[4] groups     P:{Q}:groups       the groups a job with a record is placed for
  KEYS[5] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] partition  "p:N" in partition p of a partitioned queue ('' otherwise): generated ids
                     then say their partition (partitionIds)
  ARGV[3..] jobs     five per job: id ('' = generate), name, data (JSON), opts (JSON),
                     schedule ('' = none, else JSON {delay?, priority?, lifo?, ttl?, startBy?,
                     dedup?: {id, ttl?, replace?}, orderingKey?}; times in ms, startBy absolute)

  Backpressure: with the queue's maxLength set (meta), a new job that finds the queue full
  (jobs waiting in the slowest group, plus delayed jobs) is not added: status 3, and in place
  of its id the last id of the room stream (P:{Q}:room, written by leases), for the producer
  to block on until workers make room.

  Events: added (field dl: the positions in j of the jobs added delayed, when there are any:
  the others are waiting), delayed, and deduplicated (j: the holders, k: the deduplication ids).

  Returns a flat array: now (ms, Redis time), then id, status (1 added, 0 existed or
  deduplicated, 2 replaced a pending job, 3 refused: the queue is full) ... in the order given.
]]
-- @include keys
-- @include redisTime
-- @include placeWaiting
-- @include emit
-- @include streamIds
-- @include dueScore
-- @include settings
-- @include dedup
-- @include wake
-- @include partitionIds
-- @include jobData
-- @include newRecord
local k = { stream = KEYS[2], groups = KEYS[4], wake = KEYS[5] }
local idKey, delayedKey = KEYS[1], KEYS[3]
local base = ARGV[1]
local partition, partitions = partitionSpec(ARGV[2])
local now = redisTime()

local schedules, generated = {}, 0
for i = 3, #ARGV, 5 do
  if ARGV[i + 4] ~= '' then
    schedules[i] = cjson.decode(ARGV[i + 4])
    if ARGV[i] == '' then generated = generated + 1 end
  end
end
local nextId = 0
if generated > 0 then nextId = redis.call('INCRBY', idKey, generated) - generated end

local earliestDue = false
local delayedIds = {}
local mustWake = false

-- a delayed job: into the delayed set, after the jobs already due at the same ms (dueScore);
-- an earlier first due time must wake idle workers
local function delay(jobKey, id, due)
  local score = dueScore(delayedKey, due)
  if earliestDue == false then earliestDue = tonumber(redis.call('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')[2]) or score + 1 end
  redis.call('HSET', jobKey, 's', 'delayed', 'du', due)
  redis.call('ZADD', delayedKey, score, id)
  if score < earliestDue then
    earliestDue = score
    mustWake = true
  end
end

local function taken(id)
  return jobIdTaken(base, id)
end

-- a deduplicated add: report the holder; with replace, a holder that still waits is updated
local function deduplicated(holder, i, sched)
  local holderKey = Key.job(base, holder)
  if not sched.dedup.replace then return 0 end
  -- (only a published record can be updated: copies made for other groups are theirs)
  local state = redis.call('HGET', holderKey, 's')
  if state ~= 'delayed' and state ~= 'waiting' then return 0 end
  writeData(holderKey, ARGV[i + 2])
  redis.call('HSET', holderKey, 'o', ARGV[i + 3])
  local delayMs = tonumber(sched.delay) or 0
  -- restart the delay of a delayed job (not of a retry waiting out its backoff)
  if state == 'delayed' and delayMs > 0 and redis.call('ZSCORE', delayedKey, holder) then
    delay(holderKey, holder, now + delayMs)
  end
  return 2
end

-- backpressure: how many more jobs the queue takes now
local room = -1
local maxLength = queueSettings(base, 'default').maxLength
if maxLength > 0 then
  -- the jobs waiting in the busiest group: its unread stream entries (all of them for a group
  -- without a cursor yet, or when Redis cannot tell), redeliveries, prioritised and ordered jobs
  local lag = {}
  for _, c in ipairs(groupCursors(k.stream)) do lag[c.name] = c.lag end
  local waiting = 0
  for _, group in ipairs(subscribedGroups(k.groups)) do
    local g = Key.group(base, group)
    local n = lag[group] or redis.call('XLEN', k.stream)
    n = n + redis.call('LLEN', g .. Key.wait) + redis.call('ZCARD', g .. Key.prio) +
      (tonumber(redis.call('HGET', g .. Key.keyState, '#waiting')) or 0)
    if n > waiting then waiting = n end
  end
  room = math.max(0, maxLength - waiting - redis.call('ZCARD', delayedKey))
end
local roomLastId = false
local function full()
  if room < 0 then return false end
  if room > 0 then
    room = room - 1
    return false
  end
  if not roomLastId then
    local last = redis.call('XREVRANGE', base .. Key.room, '+', '-', 'COUNT', 1)[1]
    roomLastId = last and last[1] or '0-0'
  end
  return true
end

local reply = { now }
local dedupHolders, dedupIds = {}, {}
for i = 3, #ARGV, 5 do
  local id, sched = ARGV[i], schedules[i]
  if not sched and id == '' and full() then
    reply[#reply + 1] = roomLastId
    reply[#reply + 1] = 3
  elseif not sched and id == '' then
    reply[#reply + 1] = addPlainEntry(k.stream, now, partition, partitions, 'n', ARGV[i + 1], 'd', ARGV[i + 2], 'o', ARGV[i + 3])
    reply[#reply + 1] = 1
  else
    sched = sched or {}
    if id == '' then
      id = counterId(nextId, 1, partition, partitions)
      nextId = nextId + 1
    end
    local jobKey = Key.job(base, id)
    local holder = false
    if sched.dedup then holder = dedupHeld(base, sched.dedup.id, taken) end
    if id == ARGV[i] and taken(id) then
      reply[#reply + 1] = id
      reply[#reply + 1] = 0
    elseif holder then
      reply[#reply + 1] = holder
      reply[#reply + 1] = deduplicated(holder, i, sched)
      dedupHolders[#dedupHolders + 1] = holder
      dedupIds[#dedupIds + 1] = sched.dedup.id
    elseif full() then
      reply[#reply + 1] = roomLastId
      reply[#reply + 1] = 3
    else
      local priority = newRecord(jobKey, ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], now, sched)
      if sched.dedup then
        dedupHold(base, sched.dedup.id, id, tonumber(sched.dedup.ttl), now)
        redis.call('HSET', jobKey, 'dd', sched.dedup.id)
      end
      local delayMs = tonumber(sched.delay) or 0
      if delayMs > 0 then
        delay(jobKey, id, now + delayMs)
        delayedIds[#delayedIds + 1] = id
      elseif placeWaiting(k, base, id, priority, sched.lifo, sched.orderingKey) then
        mustWake = true
      end
      reply[#reply + 1] = id
      reply[#reply + 1] = 1
    end
  end
end
local added = {}
for i = 2, #reply, 2 do
  if reply[i + 1] == 1 then added[#added + 1] = reply[i] end
end
-- jobs ready now: one idle worker per group is woken for the whole call. A new earliest due
-- time alone goes into each group's marker, where an idle worker holds it until then (see
-- src/worker/idle-wait.ts): no lease now, and none missed if no worker leases before it
if #added > #delayedIds then wake(k.wake, '*') elseif mustWake then wake(k.wake, '*', earliestDue) end
if #added > 0 and #delayedIds > 0 then
  -- which of them wait out a delay (QueueEvents derives waiting from the others)
  local isDelayed, positions = {}, {}
  for i = 1, #delayedIds do isDelayed[delayedIds[i]] = true end
  for i = 1, #added do
    if isDelayed[added[i]] then positions[#positions + 1] = i - 1 end
  end
  emit(base, 'added', 'j', table.concat(added, ' '), 'dl', table.concat(positions, ' '))
elseif #added > 0 then
  emit(base, 'added', 'j', table.concat(added, ' '))
end
if #dedupHolders > 0 then emit(base, 'deduplicated', 'j', table.concat(dedupHolders, ' '), 'k', table.concat(dedupIds, ' ')) end
if #delayedIds > 0 then emit(base, 'delayed', 'j', table.concat(delayedIds, ' ')) end
return reply
