-- @include keys
-- @include orderedKeys
-- @include settings
-- @include dedup
-- @include jobData
-- placeWaiting(k, base, id, priority, lifo, orderingKey): put a job that has a published
-- record and is ready to run where the workers of every group will find it: the stream (every
-- group reads it), or, for a prioritised, lifo or ordered job, each group's priority set, the
-- front of its redelivery list, or the end of its key's line. k needs: stream, groups, wake. Returns true when idle workers must be woken
-- (they block on the stream only).
-- Fan-out: a group other than default gets its own copy of the job — carried in the stream
-- entry, or written as its record when placed in its set — so it never depends on the
-- published record, which belongs to the default group. A queue without a default group
-- keeps the published record only until every group has its own (field pend counts down).

-- Module state (for the script call): subscribedCache, each queue's groups once read (by its
-- groups key: a flow's scripts place jobs in several queues).
local subscribedCache = {}
-- subscribedGroups(groupsKey): the queue's groups; a queue no worker has used yet has the
-- default group implicitly (it is created, from the start of the stream, by its first lease).
local function subscribedGroups(groupsKey)
  local groups = subscribedCache[groupsKey]
  if not groups then
    groups = redis.call('SMEMBERS', groupsKey)
    if #groups == 0 then groups = { 'default' } end
    subscribedCache[groupsKey] = groups
  end
  return groups
end

-- jobIdTaken(base, id): a job id is taken while the job has a record: the published one (the
-- default group's, or a delayed job's) or one of another group (enqueue, add-flow)
local function jobIdTaken(base, id)
  if redis.call('EXISTS', Key.job(base, id)) == 1 then return true end
  for _, group in ipairs(subscribedGroups(base .. Key.groups)) do
    if group ~= 'default' and redis.call('EXISTS', Key.job(Key.group(base, group), id)) == 1 then return true end
  end
  return false
end

local function hasGroup(groups, name)
  for _, g in ipairs(groups) do
    if g == name then return true end
  end
  return false
end

-- the fields a group's own record copies from the published one (not the deduplication id:
-- that is the published job's, released once)
-- (the data too, read whole and written as dataFields spreads it)
local COPIED = { 'n', 'o', 'ts', 'sb', 'p', 'ok', 'd' }

local function placeWaiting(k, base, id, priority, lifo, orderingKey)
  -- a priority read back from a garbled record (tonumber('nan')) is no score ZADD takes: none
  if priority ~= priority then priority = nil end
  local groups = subscribedGroups(k.groups)
  local withDefault = hasGroup(groups, 'default')
  local jobKey = Key.job(base, id)
  if not priority and not lifo and not orderingKey then
    if withDefault and #groups == 1 then
      -- the entry id is kept, so that removing the job can delete its entry too
      redis.call('HSET', jobKey, 'se', redis.call('XADD', k.stream, '*', 'j', id))
      return false
    end
    local f = redis.call('HMGET', jobKey, 'n', 'd', 'o', 'ts', 'sb')
    local entry = redis.call('XADD', k.stream, '*', 'j', id, 'n', f[1] or '', 'd', readData(jobKey, f[2]) or '', 'o', f[3] or '{}',
      'ts', f[4] or '0', 'sb', f[5] or '')
    if withDefault then
      redis.call('HSET', jobKey, 'se', entry)
    else
      -- kept (its id stays taken) until each group has made its own record (see adoptJob)
      redis.call('HSET', jobKey, 'se', entry, 'pend', #groups)
    end
    return false
  end
  -- the priority set's score: the priority, then the order of placing (pseq) in the low 32
  -- bits, so one priority's jobs run in the order they were placed (a delayed one: promoted).
  -- Exact in a double up to priority 2^21 - 1 ((2^21 - 1) * 2^32 + 2^32 - 1 = 2^53 - 1); the
  -- lowest, 2^21, lies past 2^53 where doubles step by 2, so its order goes in steps of 2.
  local score
  if priority then
    local seq = redis.call('INCR', base .. Key.prioritySeq) % 4294967296
    if priority * 4294967296 >= 9007199254740992 then score = 9007199254740992 + 2 * seq
    else score = priority * 4294967296 + seq end
  end
  local copy = false
  local ready = true
  if orderingKey then ready = false end
  for _, group in ipairs(groups) do
    local g = Key.group(base, group)
    if group ~= 'default' then
      if not copy then
        local f = redis.call('HMGET', jobKey, unpack(COPIED))
        copy = { 's', 'waiting', 'a', 0, 'dl', 0 }
        for i = 1, #COPIED - 1 do
          if f[i] then
            copy[#copy + 1] = COPIED[i]
            copy[#copy + 1] = f[i]
          end
        end
        if f[#COPIED] then dataFields(copy, readData(jobKey, f[#COPIED])) end
      end
      redis.call('HSET', Key.job(g, id), unpack(copy))
    end
    if orderingKey then
      if keyPush(g, orderingKey, id, queueSettings(base, group).keyConcurrency) then ready = true end
    elseif priority then
      redis.call('ZADD', g .. Key.prio, score, id)
    else
      redis.call('LPUSH', g .. Key.wait, id)
    end
  end
  if not withDefault then
    -- every group has its copy now: the published record (and its deduplication id) goes
    releaseDedup(base, jobKey, id)
    redis.call('DEL', jobKey)
  end
  return ready
end
