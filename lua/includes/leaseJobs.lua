-- @include moveToFailed
-- @include placeWaiting
-- @include emit
-- @include records
-- @include trimStream
-- @include limiter
-- leaseJobs(k, base, group, consumer, nonce, count, cfg, now): the body shared by lease.lua and
-- complete.lua. It keeps the group moving without a leader (promotes due delayed jobs and
-- retries, reclaims expired leases), then leases up to `count` jobs: redeliveries first, then
-- new jobs from the stream, then prioritised jobs. Each leased job gets a fresh token and a
-- deadline in the active set. The reply is documented in the callers' headers.
-- Job records are the group's (k.rb = recordBase(base, group)); the delayed set and the
-- stream are the queue's, shared by all groups.

-- readJob: HMGET that survives a key of another type (planted by hand): such a job is listed in
-- the failed set with the reason, its key left as it is, and nil is returned.
local function readJob(k, rb, id, now, dead, ...)
  local jobKey = rb .. 'job:' .. id
  local fields = redis.pcall('HMGET', jobKey, ...)
  if not fields.err then return fields end
  local reason = 'malformed job record: the key holds a ' .. redis.call('TYPE', jobKey).ok .. ', not a hash'
  redis.call('ZADD', k.failed, now, id)
  dead[#dead + 1] = id
  dead[#dead + 1] = reason
  return nil
end

-- promoteDue: due delayed jobs and retries, in score order (which keeps the order jobs due at
-- the same ms were scheduled in: see dueScore), the whole current ms (scores below now + 1)
local function promoteDue(k, base, now, bound, dead)
  local upTo = string.format('(%d', now + 1)
  local due = redis.call('ZRANGEBYSCORE', k.delayed, '-inf', upTo, 'LIMIT', 0, bound)
  for i = 1, #due do
    local fields = readJob(k, base, due[i], now, dead, 's', 'p', 'lf', 'ok')
    if fields and fields[1] == 'delayed' then
      redis.call('HSET', base .. 'job:' .. due[i], 's', 'waiting')
      placeWaiting(k, base, due[i], tonumber(fields[2]), fields[3] == '1', fields[4])
    end
  end
  if #due > 0 then
    redis.call('ZREM', k.delayed, unpack(due))
    wake(k.wake, '*') -- the promoted jobs reach every group
  end
  local retries = redis.call('ZRANGEBYSCORE', k.retry, '-inf', upTo, 'LIMIT', 0, bound)
  local ready = {}
  for i = 1, #retries do
    -- only a job still waiting out its backoff: a stale entry must not run a job twice
    local fields = readJob(k, k.rb, retries[i], now, dead, 's')
    if fields and fields[1] == 'delayed' then
      redis.call('HSET', k.rb .. 'job:' .. retries[i], 's', 'waiting')
      ready[#ready + 1] = retries[i]
    end
  end
  if #ready > 0 then redis.call('RPUSH', k.wait, unpack(ready)) end
  if #retries > 0 then redis.call('ZREM', k.retry, unpack(retries)) end
  -- keys parked by a per-key limit go back into the ring when due
  if queueSettings(base, k.group).keyLimitMax > 0 then keyUnpark(k.g, now, true) end
  return #due >= bound or #retries >= bound
end

local function reclaimExpired(k, now, cfg, stalled, dead)
  local rb = k.rb
  local expired = redis.call('ZRANGEBYSCORE', k.active, '-inf', now, 'LIMIT', 0, 100)
  if #expired == 0 then return end
  redis.call('ZREM', k.active, unpack(expired))
  local back = {}
  for i = 1, #expired do
    local id = expired[i]
    local jobKey = rb .. 'job:' .. id
    local fields = readJob(k, rb, id, now, dead, 's', 'sc')
    if fields and fields[1] then
      stalled[#stalled + 1] = id
      local stalls = (tonumber(fields[2]) or 0) + 1
      redis.call('HSET', jobKey, 'sc', stalls)
      if stalls > cfg.maxStalls then
        local reason = 'job stalled ' .. stalls .. ' times: its worker stopped renewing the lease (crash or freeze)'
        local keep = failedRetention(jobKey, cfg.keepFailed)
        moveToFailed(k.failed, k.base, rb, id, now, reason, '[]', keep[1], keep[2], k.group)
        dead[#dead + 1] = id
        dead[#dead + 1] = reason
      else
        redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')
        back[#back + 1] = id
      end
    end
  end
  -- reclaimed jobs go to the front of the line: they were leased before anything now waiting;
  -- other idle workers are woken too, in case this call cannot take them all
  if #back > 0 then
    local reversed = {}
    for i = #back, 1, -1 do reversed[#reversed + 1] = back[i] end
    redis.call('LPUSH', k.wait, unpack(reversed))
    wake(k.wake, k.group)
  end
end

local function readStream(k, group, consumer, count, now)
  local reply = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', k.stream, '>')
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'NOGROUP', 1, true) then error(reply.err, 0) end
    -- another group is created by its workers (from now) before they lease; missing now, it
    -- was removed or the queue obliterated: the worker decides (it logs and recreates it)
    if group ~= 'default' then error('NOGROUP consumer group ' .. group .. ' does not exist', 0) end
    -- the default group's first use, or the stream was deleted (obliterate): it starts at the
    -- beginning, so jobs added before the first worker are not missed
    redis.call('XGROUP', 'CREATE', k.stream, group, '0', 'MKSTREAM')
    redis.call('SADD', k.groups, group)
    reply = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, 'NOACK', 'STREAMS', k.stream, '>')
  end
  if not reply then return {} end
  local entries = reply[1][2]
  -- the entries are read (the cursor moved): nothing after this may fail the call, or they are lost
  if #entries > 0 then pcall(trimStream, k, k.base, group, entries[#entries][1], now) end
  return entries
end

local function deadLetterEntry(k, entry, now, cfg, dead)
  local id = 'malformed-' .. entry[1]
  local reason = 'malformed stream entry ' .. entry[1] .. ': it carries neither a job id (j) nor a job (n, d, o)'
  redis.call('HSET', k.rb .. 'job:' .. id, 'n', '(malformed)', 'd', cjson.encode(entry[2]), 'o', '{}', 'ts', now, 'a', 0, 'dl', 0)
  moveToFailed(k.failed, k.base, k.rb, id, now, reason, '[]', cfg.keepFailed[1], cfg.keepFailed[2], k.group)
  dead[#dead + 1] = id
  dead[#dead + 1] = reason
end

-- The reply carries five fields per job. The token is not sent: it is nonce.k for the k-th
-- job of the reply, which the worker knows. The numbers travel as one "meta" string
-- "timestamp:attemptsMade:deliveries:stalls" (fewer reply items to build and to decode).
local JOB_FIELDS = 5

local function nextToken(jobs, nonce)
  return nonce .. '.' .. (#jobs / JOB_FIELDS + 1)
end

local function appendJob(jobs, id, name, data, opts, timestamp, attemptsMade, deliveries, stalls)
  local n = #jobs
  jobs[n + 1], jobs[n + 2], jobs[n + 3], jobs[n + 4] = id, name, data, opts
  jobs[n + 5] = timestamp .. ':' .. attemptsMade .. ':' .. deliveries .. ':' .. stalls
end

-- leaseCarried: a plain job came whole in its stream entry; its record is written now.
local function leaseCarried(rb, id, carried, nonce, now, jobs)
  local token = nextToken(jobs, nonce)
  redis.call('HSET', rb .. 'job:' .. id, 'n', carried[1], 'd', carried[2], 'o', carried[3], 'ts', carried[4],
    's', 'active', 'a', 0, 'dl', 1, 'tk', token, 'po', now)
  appendJob(jobs, id, carried[1], carried[2], carried[3], carried[4], 0, 1, 0)
  return true
end

-- adoptJob: a group other than default meets a job with a published record (entry j = id)
-- for the first time: its own record is made from the copy the entry carries, or else from
-- the published record (an entry written before the group existed). Returns false when
-- neither is there (the job was removed).
local function adoptJob(k, id, entry)
  local jobKey = k.rb .. 'job:' .. id
  if redis.call('EXISTS', jobKey) == 1 then return true end
  local f = entry
  if not f then
    f = redis.pcall('HMGET', k.base .. 'job:' .. id, 'n', 'd', 'o', 'ts', 'sb')
    if f.err or not f[1] then return false end
  end
  local record = { 's', 'waiting', 'a', 0, 'dl', 0, 'n', f[1], 'd', f[2] or '', 'o', f[3] or '{}', 'ts', f[4] or '0' }
  if f[5] and f[5] ~= '' then record[#record + 1] = 'sb'; record[#record + 1] = f[5] end
  redis.call('HSET', jobKey, unpack(record))
  releasePublished(k.base, id)
  return true
end

-- leaseRecorded: a job with a record hash (own id, delayed, prioritised, redelivered). Returns
-- false for a job that cannot be leased: removed, moved on (a stale entry), or malformed —
-- the last is dead-lettered with its reason.
local function leaseRecorded(k, id, nonce, now, cfg, jobs, dead, fromRing)
  local rb = k.rb
  local jobKey = rb .. 'job:' .. id
  -- a key of another type must not abort the batch, whose stream entries are consumed already
  local f = readJob(k, rb, id, now, dead, 's', 'n', 'd', 'o', 'ts', 'a', 'dl', 'sc', 'sb', 'ok', 'kr')
  if not f then return false end
  -- an ordered job coming back (retry, reclaimed, handed back) counts against its key's limit
  -- too; over it, the job waits (still holding its key) until the key's window has room
  if f[10] and not f[11] and not fromRing and f[1] == 'waiting' then
    local wait = keyLimitWait(k.g, f[10], queueSettings(k.base, k.group), now, nonce .. ':' .. id)
    if wait > 0 then
      redis.call('HSET', jobKey, 's', 'delayed', 'du', now + wait)
      redis.call('ZADD', k.retry, now + wait, id)
      return false
    end
  end
  if f[1] == 'waiting' and f[2] and f[3] and tonumber(f[9]) and (tonumber(f[7]) or 0) == 0 and now > tonumber(f[9]) then
    -- not started by its deadline (ttl / startBy): it is not run
    local reason = 'expired: not started by its deadline (' .. f[9] .. ' ms)'
    local keep = failedRetention(jobKey, cfg.keepFailed)
    moveToFailed(k.failed, k.base, rb, id, now, reason, '[]', keep[1], keep[2], k.group)
    dead[#dead + 1] = id
    dead[#dead + 1] = reason
    return false
  end
  if f[1] == 'waiting' and f[2] and f[3] then
    local deliveries = (tonumber(f[7]) or 0) + 1
    redis.call('HSET', jobKey, 's', 'active', 'tk', nextToken(jobs, nonce), 'po', now, 'dl', deliveries)
    appendJob(jobs, id, f[2], f[3], f[4] or '{}', f[5] or now, f[6] or 0, deliveries, f[8] or 0)
    return true
  end
  if (f[1] == 'waiting' or not f[1]) and (f[1] or f[2] or f[3] or f[4]) then
    -- a record without state, name or data was not written by sluice: dead-letter it
    local reason = 'malformed job record: missing ' .. (not f[1] and 'state' or (not f[2] and 'name' or 'data'))
    local keep = failedRetention(jobKey, cfg.keepFailed)
    moveToFailed(k.failed, k.base, rb, id, now, reason, '[]', keep[1], keep[2], k.group)
    dead[#dead + 1] = id
    dead[#dead + 1] = reason
  end
  -- otherwise: no record (the job was removed) or a stale entry for a job that moved on
  return false
end

local function takeJobs(k, group, consumer, nonce, count, cfg, now, jobs, dead)
  local ids, inline, keyOf = {}, {}, {}
  -- a named group that is gone fails the call before anything is popped (L1): readStream's
  -- NOGROUP would come after the pops below (the default group recreates itself there)
  if group ~= 'default' and redis.call('SISMEMBER', k.groups, group) == 0 then
    error('NOGROUP consumer group ' .. group .. ' does not exist', 0)
  end
  local redo = redis.call('LPOP', k.wait, count)
  if redo then
    for i = 1, #redo do ids[#ids + 1] = redo[i] end
  end
  -- ordered keys get up to half of what is left, then the stream; the rest of the room is
  -- theirs again after it, so neither can starve the other
  local keyed = {}
  local settings = queueSettings(k.base, group)
  -- (one command when no key is ready or parked: the common case of a queue without ordering keys)
  local ringEmpty = not keysListed(k.g, settings, now)
  local function takeKeyed(n)
    if n <= 0 or ringEmpty then return end
    local from = #keyed
    keyTake(k.g, from + n, settings, now, nonce, keyed)
    for i = from + 1, #keyed do
      ids[#ids + 1] = keyed[i][1]
      keyOf[keyed[i][1]] = keyed[i][2]
    end
  end
  takeKeyed(math.ceil((count - #ids) / 2))
  -- what the stream read says of more entries for this group (see moreWaiting): unknown
  -- (nil) unless read; a full read leaves its last id to compare with the stream's
  k.streamLastRead = nil
  if #ids < count then
    local asked = count - #ids
    local entries = readStream(k, group, consumer, asked, now)
    k.streamLastRead = #entries >= asked and entries[#entries][1] or false
    for i = 1, #entries do
      local fields = entries[i][2]
      if fields[1] == 'j' and fields[2] then
        -- a job with a published record; the default group's record is that record itself
        if group == 'default' then
          ids[#ids + 1] = fields[2]
        else
          local carried = false
          if fields[3] == 'n' and fields[6] then
            carried = { fields[4], fields[6], fields[8] or '{}', fields[10] or '0', fields[12] or '' }
          end
          if adoptJob(k, fields[2], carried) then ids[#ids + 1] = fields[2] end
        end
      elseif fields[1] == 'n' and fields[3] == 'd' and fields[4] then
        -- a plain job, carried whole by its entry: its record is written now, at its first lease
        local id = entries[i][1]
        ids[#ids + 1] = id
        inline[id] = { fields[2], fields[4], fields[5] == 'o' and fields[6] or '{}', tonumber(string.match(id, '^(%d+)')) }
      else
        deadLetterEntry(k, entries[i], now, cfg, dead)
      end
    end
  end
  takeKeyed(count - #ids)
  if #ids < count then
    local popped = redis.call('ZPOPMIN', k.prio, count - #ids)
    for i = 1, #popped, 2 do ids[#ids + 1] = popped[i] end
  end
  local leases = {}
  for i = 1, #ids do
    local id = ids[i]
    local leased
    if inline[id] then
      leased = leaseCarried(k.rb, id, inline[id], nonce, now, jobs)
    else
      -- one bad record must not abort the call: the stream entries it read are consumed (L1)
      local ok, result = pcall(leaseRecorded, k, id, nonce, now, cfg, jobs, dead, keyOf[id] ~= nil)
      leased = ok and result
      if not ok then
        local why = type(result) == 'table' and result.err or tostring(result)
        redis.pcall('ZADD', k.failed, now, id)
        dead[#dead + 1] = id
        dead[#dead + 1] = 'malformed job record: ' .. string.sub(why, 1, 200)
      end
      -- an ordered job that cannot run (removed, malformed, expired) gives its key's slot back
      if not leased and keyOf[id] then keyRelease(k.g, keyOf[id], settings.keyConcurrency, id) end
    end
    if leased then
      -- jobs past the worker's free slots wait in its buffer: a short first lease, renewed by the
      -- worker while it holds them, so that a killed worker's leased-ahead jobs come back soon
      leases[#leases + 1] = now + ((#leases / 2 < (cfg.slots or count)) and cfg.leaseMs or (cfg.aheadMs or cfg.leaseMs))
      leases[#leases + 1] = id
    end
  end
  if #leases > 0 then
    redis.call('ZADD', k.active, unpack(leases))
    local leased = {}
    for i = 2, #leases, 2 do leased[#leased + 1] = leases[i] end
    emit(k.base, 'active', 'j', table.concat(leased, ' '))
  end
end

local function nextWakeIn(k, now)
  local best = -1
  local keys = { k.delayed, k.retry, k.active, k.schedulers }
  if queueSettings(k.base, k.group).keyLimitMax > 0 then keys[#keys + 1] = k.g .. 'keywait' end
  for _, key in ipairs(keys) do
    local first = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local at = tonumber(first[2])
    -- a due scheduler is being fired by a worker (schedulersDue); fire-scheduler wakes
    -- everyone once it has planned the next slot, so it must not keep idle workers spinning
    if at and key == k.schedulers and at <= now then at = nil end
    if at and (best < 0 or at < best) then best = at end
  end
  if best < 0 then return -1 end
  if best < now then return 0 end
  return best - now
end

-- moreWaiting(k): after a full batch, whether this group has more ready work (then the
-- next idle worker is woken). Only asked on the first lease after a wake.
local function moreWaiting(k)
  local streamMore = k.streamLastRead == nil
    or (k.streamLastRead and k.streamLastRead ~= redis.call('XREVRANGE', k.stream, '+', '-', 'COUNT', 1)[1][1])
  return streamMore or redis.call('LLEN', k.wait) > 0 or redis.call('LLEN', k.g .. 'keys') > 0
    or redis.call('ZCARD', k.prio) > 0
end

-- leaseCount(arg, cfg): ARGV count of lease and complete, "count" or "count:slots": only the
-- first `slots` jobs start at once; the others are leased ahead and get the short first lease
-- cfg.aheadMs (set as cfg.slots). Returns count.
local function leaseCount(arg, cfg)
  local count, slots = string.match(arg, '^(%d+):?(%d*)$')
  count = tonumber(count)
  cfg.slots = tonumber(slots) or count
  return count
end

local function leaseJobs(k, base, group, consumer, nonce, count, cfg, now)
  k.base, k.rb, k.group, k.g = base, recordBase(base, group), group, base .. 'g:' .. group .. ':'
  emitFor(group)
  local stalled, dead, jobs = {}, {}, {}
  -- flags for the worker: 1 paused, 2 rate limited now, 4 the group has a rate limit (it
  -- leases only for free slots: a job leased ahead would start later than the limiter
  -- counted it)
  local paused = redis.call('EXISTS', k.paused)
  local flags = paused
  local more = false
  local limitedFor = -1
  if count > 0 then
    more = promoteDue(k, base, now, 500, dead)
    reclaimExpired(k, now, cfg, stalled, dead)
    if #stalled > 0 then emit(base, 'stalled', 'j', table.concat(stalled, ' ')) end
    if paused == 0 then
      local settings = queueSettings(base, group)
      local room
      room, limitedFor = limiterRoom(k, settings, now)
      if room > 0 then
        takeJobs(k, group, consumer, nonce, math.min(room, count), cfg, now, jobs, dead)
        limitedFor = limiterRecord(k, settings, nonce, #jobs / JOB_FIELDS, room, now)
        -- backpressure: producers waiting for room block on this stream
        if settings.maxLength > 0 and #jobs > 0 then redis.call('XADD', base .. 'room', 'MAXLEN', '16', '*', 'n', #jobs / JOB_FIELDS) end
      end
      if limitedFor >= 0 then flags = flags + 2 end
      if settings.limitMax > 0 or settings.limitUntil > now then flags = flags + 4 end
    end
  end
  local waitMs, idle = 0, 0
  -- fewer jobs than asked for: the queue is empty (or the group limited) now. The worker will
  -- block on the group's wake marker, which then holds the next due time (a delayed job, a
  -- retry, a lease deadline, a slot, the limiter): whichever idle worker takes the marker waits
  -- for that time, so one worker, not all, wakes for it (see wake.lua)
  if count > 0 and #jobs / JOB_FIELDS < count and (not more or limitedFor >= 0) then
    idle = 1
    waitMs = nextWakeIn(k, now)
    if limitedFor >= 0 and (waitMs < 0 or limitedFor < waitMs) then waitMs = limitedFor end
    -- (a due time past the block timeout needs no holder: every idle worker leases once per
    -- block timeout anyway, and a lease deadline of a running job is usually that far)
    if waitMs >= 0 and waitMs < (cfg.blockMs or math.huge) then wake(k.wake, group, now + waitMs) end
  elseif count > 0 and cfg.woke and (more or moreWaiting(k)) then
    -- a worker just woken took a full batch: more may wait, so the next idle worker wakes too
    wake(k.wake, group)
  end
  -- a repeating job's slot is due: the worker computes the next slot (cron) and fires it
  -- (also on ack-only calls: workers that are all busy must still fire slots on time)
  local schedulersDue = 0
  local head = redis.call('ZRANGE', k.schedulers, 0, 0, 'WITHSCORES')[2]
  if head and tonumber(head) <= now then schedulersDue = 1 end
  local reply = { now, waitMs, idle, flags, schedulersDue, #stalled }
  for i = 1, #stalled do reply[#reply + 1] = stalled[i] end
  reply[#reply + 1] = #dead / 2
  for i = 1, #dead do reply[#reply + 1] = dead[i] end
  reply[#reply + 1] = #jobs / JOB_FIELDS
  for i = 1, #jobs do reply[#reply + 1] = jobs[i] end
  return reply
end
