-- @include keys
-- @include settings
-- The context of one lease call (lease.lua, complete.lua), made by leaseJobs and passed to the
-- includes under lease/, which read it and append to its lists:
--   keys        the script's KEYS by name (stream, wake, groups, delayed, wait, active, retry,
--               prio, failed, paused, schedulers, limiter), as declared in its header
--   base        the queue's prefix "P:{Q}:" (keys.lua); group, its group's name
--   groupPrefix Key.group(base, group); records, Key.records(base, group): the group's job
--               records (the delayed set and the stream are the queue's, shared by all groups)
--   consumer    the worker's id (its XREADGROUP consumer); nonce, the call's (tokens nonce.k)
--   now         ms of Redis time, and nowText, the same as a string (written per job: a number
--               argument costs Redis a printf, a number in a Lua concatenation one more)
--   config      the worker's JSON config (see lease.lua)
--   settings    queueSettings(base, group)
--   stalled     ids of the jobs whose lease ran out (reclaimExpired)
--   dead        id, reason, ... of the jobs dead-lettered in this call
--   jobs        the leased jobs, JOB_FIELDS reply items each (leaseOne.lua)
--   streamLastRead  what the stream read says of more entries (takeJobs, moreWaiting)
--   heads       per sorted set (delayed, retry, active, schedulers): the score of its first
--               member, false when empty, nil when not read yet or changed since (headOf)
--   emptied     what takeJobs found it emptied: wait, prio (moreWaiting needs not ask)
--   leasedEntries  the entries read into the PEL to be leased without a record (readStream)
--   quiet       the group uses none of the optional structures now (quietGroup): their peeks
--               are known to find nothing

local function newLeaseContext(keys, base, group, consumer, nonce, config, now)
  return {
    keys = keys, base = base, group = group,
    groupPrefix = Key.group(base, group), records = Key.records(base, group),
    consumer = consumer, nonce = nonce, now = now, nowText = tostring(now), config = config,
    settings = queueSettings(base, group),
    stalled = {}, dead = {}, jobs = {}, heads = {}, emptied = {}, leasedEntries = {}, quiet = false,
  }
end

-- headOf(ctx, key): the score of the first member of a sorted set (nil when it is empty), read
-- once per call: the same peek tells promoteDue or reclaimExpired whether anything is due, and
-- nextWakeIn when the next due time is (one command per set on an idle lease, not two)
local function headOf(ctx, key)
  local head = ctx.heads[key]
  if head == nil then
    head = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]) or false
    ctx.heads[key] = head
  end
  return head or nil
end

-- quietGroup(ctx): one look (EXISTS) at the keys of what a group may not use: its pause, the
-- delayed jobs, its redeliveries, retries and priorities, the schedulers, its ordered keys (the
-- ring and the parked keys). When none exists, the common case of a plain queue, a lease knows
-- without asking that nothing is due, paused, redelivered, prioritised or keyed: six to eight
-- peeks saved. The call's own writes cannot make one of them before it would peek, but for
-- reclaimExpired's redeliveries (takeJobs pops them when it reclaimed any): only promoting
-- delayed jobs and retries (there are none) and placing held flows (a group with flows held is
-- never quiet) place waiting, prioritised or keyed jobs. Whatever wrote them, the keys say what
-- is in use: no flag to keep true.
local function quietGroup(ctx)
  if ctx.settings.flowsHeld then return false end
  local keys, g = ctx.keys, ctx.groupPrefix
  local present = redis.call('EXISTS', keys.paused, keys.delayed, keys.wait, keys.retry, keys.prio, keys.schedulers,
    g .. Key.keyRing, g .. Key.keyWait)
  if present > 0 then
    return false
  end
  ctx.quiet = true
  local heads = ctx.heads
  heads[keys.delayed], heads[keys.retry], heads[keys.schedulers], heads[g .. Key.keyWait] = false, false, false, false
  return true
end

-- headChanged(ctx, key, added): the set was written: with `added` (the lowest score added, no
-- member removed) a known head stays known, otherwise the next headOf reads it again
local function headChanged(ctx, key, added)
  local head = ctx.heads[key]
  if added and head == false then
    ctx.heads[key] = added
  elseif added and head then
    ctx.heads[key] = math.min(head, added)
  else
    ctx.heads[key] = nil
  end
end

-- addDead(ctx, id, reason): the job was dead-lettered in this call (the worker reports it)
local function addDead(ctx, id, reason)
  local dead = ctx.dead
  dead[#dead + 1] = id
  dead[#dead + 1] = reason
end

-- readJob(ctx, records, id, field...): HMGET of a job record that survives a key of another
-- type (planted by hand): such a job is listed in the group's failed set with the reason, its
-- key left as it is, and nil is returned.
local function readJob(ctx, records, id, ...)
  local jobKey = Key.job(records, id)
  local fields = redis.pcall('HMGET', jobKey, ...)
  if not fields.err then return fields end
  local reason = 'malformed job record: the key holds a ' .. redis.call('TYPE', jobKey).ok .. ', not a hash'
  redis.call('ZADD', ctx.keys.failed, ctx.now, id)
  addDead(ctx, id, reason)
  return nil
end
