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
--   now         ms of Redis time; config, the worker's JSON config (see lease.lua)
--   settings    queueSettings(base, group)
--   stalled     ids of the jobs whose lease ran out (reclaimExpired)
--   dead        id, reason, ... of the jobs dead-lettered in this call
--   jobs        the leased jobs, JOB_FIELDS reply items each (leaseOne.lua)
--   streamLastRead  what the stream read says of more entries (takeJobs, moreWaiting)

local function newLeaseContext(keys, base, group, consumer, nonce, config, now)
  return {
    keys = keys, base = base, group = group,
    groupPrefix = Key.group(base, group), records = Key.records(base, group),
    consumer = consumer, nonce = nonce, now = now, config = config,
    settings = queueSettings(base, group),
    stalled = {}, dead = {}, jobs = {}, streamLastRead = nil,
  }
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
