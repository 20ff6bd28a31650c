-- @include lease/context
-- @include keys
-- @include leaseToken
-- @include moveToFailed
-- @include orderedKeys
-- @include records
-- @include jobData
-- Leasing one job: its record is marked active with a fresh token, and the job is appended to
-- ctx.jobs for the reply. The reply carries JOB_FIELDS fields per job: id, name, data, opts and
-- the numbers as one "meta" string "timestamp:attemptsMade:deliveries:stalls" (fewer reply
-- items to build and to decode). The token is not sent: it is nonce.k for the k-th job of the
-- reply, which the worker knows.
local JOB_FIELDS = 5

-- nextToken(ctx): the token of the job about to be appended to ctx.jobs
local function nextToken(ctx)
  return leaseToken(ctx.nonce, #ctx.jobs / JOB_FIELDS + 1)
end

local function appendJob(jobs, id, name, data, opts, timestamp, attemptsMade, deliveries, stalls)
  local n = #jobs
  jobs[n + 1], jobs[n + 2], jobs[n + 3], jobs[n + 4] = id, name, data, opts
  jobs[n + 5] = timestamp .. ':' .. attemptsMade .. ':' .. deliveries .. ':' .. stalls
end

-- leaseCarried(ctx, id, name, data, opts, timestamp): a plain job came whole in its stream
-- entry (id: the entry's; timestamp: its ms, as text); its record is written now, at its first
-- lease, unless its entry was read into the PEL to lease it without one (leasedEntry.lua).
-- Every value is a string: a number would be formatted per job. Long data is spread
-- (jobData.lua) unless the record goes when the job completes.
local function leaseCarried(ctx, id, name, data, opts, timestamp)
  if ctx.leasedEntries[id] then
    -- no record: the entry stays pending until the ack
  elseif #data <= DATA_PIECE or removedOnCompletion(opts) then
    redis.call('HSET', Key.job(ctx.records, id), 'n', name, 'd', data, 'o', opts, 'ts', timestamp,
      's', 'active', 'a', '0', 'dl', '1', 'tk', nextToken(ctx), 'po', ctx.nowText)
  else
    local record = { 'n', name, 'o', opts, 'ts', timestamp, 's', 'active', 'a', '0', 'dl', '1', 'tk', nextToken(ctx), 'po', ctx.nowText }
    dataFields(record, data)
    redis.call('HSET', Key.job(ctx.records, id), unpack(record))
  end
  appendJob(ctx.jobs, id, name, data, opts, timestamp, '0', '1', '0')
  return true
end

-- adoptJob(ctx, id, name, data, opts, timestamp, startBy): a group other than default meets a
-- job with a published record (entry j = id) for the first time: its own record is made from
-- the copy the entry carries (name ~= nil), or else from the published record (an entry
-- written before the group existed). Returns false when neither is there (the job was removed).
local function adoptJob(ctx, id, name, data, opts, timestamp, startBy)
  local jobKey = Key.job(ctx.records, id)
  if redis.call('EXISTS', jobKey) == 1 then return true end
  if not name then
    local published = redis.pcall('HMGET', Key.job(ctx.base, id), 'n', 'd', 'o', 'ts', 'sb')
    if published.err or not published[1] then return false end
    name, opts, timestamp, startBy = published[1], published[3], published[4], published[5]
    data = readData(Key.job(ctx.base, id), published[2])
  end
  local record = { 's', 'waiting', 'a', 0, 'dl', 0, 'n', name, 'o', opts or '{}', 'ts', timestamp or '0' }
  if startBy and startBy ~= '' then record[#record + 1] = 'sb'; record[#record + 1] = startBy end
  dataFields(record, data or '')
  redis.call('HSET', jobKey, unpack(record))
  releasePublished(ctx.base, id)
  return true
end

-- the states a record sluice wrote can be in (a stale stream entry of such a job is ignored)
local KNOWN_STATES = { waiting = true, active = true, delayed = true, completed = true, failed = true }

-- leaseRecorded(ctx, id, fromRing): a job with a record hash (own id, delayed, prioritised,
-- redelivered; fromRing: taken from its ordering key's line, which counted it already).
-- Returns false for a job that cannot be leased: removed, moved on (a stale entry), over its
-- key's limit (parked in the retry set), not started by its deadline, or malformed — the last
-- two are dead-lettered with their reason.
local function leaseRecorded(ctx, id, fromRing)
  local records, now = ctx.records, ctx.now
  local jobKey = Key.job(records, id)
  -- a key of another type must not abort the batch, whose stream entries are consumed already
  local f = readJob(ctx, records, id, 's', 'n', 'd', 'o', 'ts', 'a', 'dl', 'sc', 'sb', 'ok', 'kr')
  if not f then return false end
  local state, name, data, opts, timestamp, attemptsMade = f[1], f[2], readData(jobKey, f[3]), f[4], f[5], f[6]
  local deliveries, stalls, startBy, orderingKey, keyReleased = f[7], f[8], f[9], f[10], f[11]
  -- an ordered job coming back (retry, reclaimed, handed back) counts against its key's limit
  -- too; over it, the job waits (still holding its key) until the key's window has room
  if orderingKey and not keyReleased and not fromRing and state == 'waiting' then
    local wait = keyLimitWait(ctx.groupPrefix, orderingKey, ctx.settings, now, ctx.nonce .. ':' .. id)
    if wait > 0 then
      redis.call('HSET', jobKey, 's', 'delayed', 'du', now + wait)
      redis.call('ZADD', ctx.keys.retry, now + wait, id)
      headChanged(ctx, ctx.keys.retry, now + wait)
      return false
    end
  end
  if state == 'waiting' and name and data and tonumber(startBy) and (tonumber(deliveries) or 0) == 0 and now > tonumber(startBy) then
    -- not started by its deadline (ttl / startBy): it is not run
    local reason = 'expired: not started by its deadline (' .. startBy .. ' ms)'
    local keep = failedRetention(jobKey, ctx.config.keepFailed)
    moveToFailed(ctx.keys.failed, ctx.base, records, id, now, reason, '[]', keep[1], keep[2], ctx.group)
    addDead(ctx, id, reason)
    return false
  end
  if state == 'waiting' and name and data then
    local delivery = (tonumber(deliveries) or 0) + 1
    redis.call('HSET', jobKey, 's', 'active', 'tk', nextToken(ctx), 'po', ctx.nowText, 'dl', delivery)
    appendJob(ctx.jobs, id, name, data, opts or '{}', timestamp or ctx.nowText, attemptsMade or '0', delivery, stalls or '0')
    return true
  end
  local unknownState = state and not KNOWN_STATES[state]
  if ((state == 'waiting' or not state) and (state or name or data or opts)) or unknownState then
    -- a record without state, name or data, or in a state sluice has no name for, was not
    -- written by sluice: dead-letter it
    local reason = unknownState and ('malformed job record: unknown state ' .. string.sub(state, 1, 40))
      or ('malformed job record: missing ' .. (not state and 'state' or (not name and 'name' or 'data')))
    local keep = failedRetention(jobKey, ctx.config.keepFailed)
    moveToFailed(ctx.keys.failed, ctx.base, records, id, now, reason, '[]', keep[1], keep[2], ctx.group)
    addDead(ctx, id, reason)
  end
  -- otherwise: no record (the job was removed) or a stale entry for a job that moved on
  return false
end
