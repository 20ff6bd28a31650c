-- @include lease/context
-- @include lease/promoteDue
-- @include lease/reclaimExpired
-- @include lease/takeJobs
-- @include lease/leaseOne
-- @include keys
-- @include limiter
-- @include emit
-- @include wake
-- @include flowPlace
-- leaseJobs(keys, base, group, consumer, nonce, count, config, now): the body shared by
-- lease.lua and complete.lua. It keeps the group moving without a leader (promoteDue: due
-- delayed jobs and retries; reclaimExpired: expired leases), then leases up to `count` jobs
-- (takeJobs) within the group's rate limit, and builds the reply documented in lease.lua's
-- header. keys: the script's KEYS by name (see lease/context.lua); it is not changed.

-- held jobs of a stopped producer's flow a lease places (a lease call stays short)
local FLOW_LEASE_BATCH = 100

-- nextWakeIn(ctx): ms until the group's next due time (a delayed job, a retry, a lease
-- deadline, a scheduler's slot, a parked key): 0 when past, -1 when there is none
local function nextWakeIn(ctx)
  local keys, now = ctx.keys, ctx.now
  local best = -1
  local sets = { keys.delayed, keys.retry, keys.active, keys.schedulers }
  if ctx.settings.keyLimitMax > 0 then sets[#sets + 1] = ctx.groupPrefix .. Key.keyWait end
  for _, key in ipairs(sets) do
    local at = headOf(ctx, key)
    -- a due scheduler is being fired by a worker (schedulersDue); fire-scheduler wakes
    -- everyone once it has planned the next slot, so it must not keep idle workers spinning
    if at and key == keys.schedulers and at <= now then at = nil end
    if at and (best < 0 or at < best) then best = at end
  end
  if best < 0 then return -1 end
  if best < now then return 0 end
  return best - now
end

-- moreWaiting(ctx): after a full batch, whether this group has more ready work (then the
-- next idle worker is woken). Only asked on the first lease after a wake.
local function moreWaiting(ctx)
  local keys, lastRead = ctx.keys, ctx.streamLastRead
  local streamMore = lastRead == nil
  if lastRead then
    -- the trim after the read may have emptied the stream (a retention of maxLen 0): no newest entry
    local newest = redis.call('XREVRANGE', keys.stream, '+', '-', 'COUNT', 1)[1]
    streamMore = newest ~= nil and newest[1] ~= lastRead
  end
  return streamMore or (not ctx.emptied.wait and redis.call('LLEN', keys.wait) > 0)
    or (not ctx.emptied.ring and redis.call('LLEN', ctx.groupPrefix .. Key.keyRing) > 0)
    or (not ctx.emptied.prio and redis.call('ZCARD', keys.prio) > 0)
end

-- leaseCount(arg, config): ARGV count of lease and complete, "count" or "count:slots": only
-- the first `slots` jobs start at once; the others are leased ahead and get the short first
-- lease config.aheadMs (set as config.slots). Returns count.
local function leaseCount(arg, config)
  local count, slots = string.match(arg, '^(%d+):?(%d*)$')
  count = tonumber(count)
  config.slots = tonumber(slots) or count
  return count
end

-- the worker's flags in the reply
local FLAG_PAUSED = 1       -- the group is paused
local FLAG_LIMITED = 2      -- rate limited now
local FLAG_HAS_LIMIT = 4    -- the group has a rate limit: it leases only for free slots (a job
                            -- leased ahead would start later than the limiter counted it)
local FLAG_QUEUE_LIMIT = 8  -- a partition whose queue has a rate limit: lease only starts reserved
                            -- first (reserve-starts.lua); a call without them leased nothing

-- announceDrained(ctx, asked, leased, more, emptied): the group's drained event, once per
-- transition. A call that could start `asked` jobs and found fewer (none more due), or took all
-- there was (`emptied`), leaves the group with nothing to start: it emits drained unless it
-- leased nothing and the last announcement still stands (meta drained:<G>, read with the
-- settings: no command in the steady state). A full batch with more behind it withdraws the
-- announcement.
local function announceDrained(ctx, asked, leased, more, emptied)
  local announced = ctx.settings.drained
  if asked > 0 and ((leased < asked and not more) or emptied) then
    if leased > 0 or not announced then emit(ctx.base, 'drained') end
    if not announced then redis.call('HSET', ctx.base .. Key.meta, 'drained:' .. ctx.group, '1') end
  elseif leased > 0 and announced then
    redis.call('HDEL', ctx.base .. Key.meta, 'drained:' .. ctx.group)
  end
end

local function leaseJobs(keys, base, group, consumer, nonce, count, config, now)
  local ctx = newLeaseContext(keys, base, group, consumer, nonce, config, now)
  emitFor(group)
  local settings = ctx.settings
  -- (an ack-only call leases nothing: whether the group is paused does not matter to it)
  local paused = 0
  if count > 0 and not quietGroup(ctx) then paused = redis.call('EXISTS', keys.paused) end
  local flags = paused * FLAG_PAUSED
  local more = false
  local limitedFor = -1
  local asked = 0
  if count > 0 then
    more = promoteDue(ctx, 500)
    -- flows committed here and not placed in full: their producer stopped midway, so leases go on
    -- (more of them left: the worker leases again at once rather than block)
    if settings.flowsHeld and group == 'default' and placeFlows(base, now, FLOW_LEASE_BATCH) then more = true end
    reclaimExpired(ctx)
    if #ctx.stalled > 0 then emit(base, 'stalled', 'j', table.concat(ctx.stalled, ' ')) end
    if paused == 0 then
      local room
      room, limitedFor = limiterRoom(keys, settings, now)
      if settings.queueLimited then
        flags = flags + FLAG_QUEUE_LIMIT + FLAG_HAS_LIMIT
        if not config.reserved then room = 0 end
      end
      -- the group's cap on jobs leased at once, by all its workers (setGlobalConcurrency): a
      -- finished job's ack or failure wakes an idle worker for the slot it frees
      if settings.groupConcurrency > 0 then
        room = math.min(room, math.max(0, settings.groupConcurrency - redis.call('ZCARD', keys.active)))
        flags = flags + FLAG_HAS_LIMIT
      end
      if room > 0 then
        asked = math.min(room, count)
        takeJobs(ctx, asked)
        limitedFor = limiterRecord(keys, settings, nonce, #ctx.jobs / JOB_FIELDS, room, now)
        -- backpressure: producers waiting for room block on this stream
        if settings.maxLength > 0 and #ctx.jobs > 0 then
          redis.call('XADD', base .. Key.room, 'MAXLEN', '16', '*', 'n', #ctx.jobs / JOB_FIELDS)
        end
      end
      if limitedFor >= 0 then flags = flags + FLAG_LIMITED end
      if settings.limitMax > 0 or settings.limitUntil > now then flags = flags + FLAG_HAS_LIMIT end
    end
  end
  local leased = #ctx.jobs / JOB_FIELDS
  local short = count > 0 and leased < count and (not more or limitedFor >= 0)
  -- a worker just woken that took a full batch: whether more waits (then the next idle worker
  -- wakes too); if not, it took all there was, and is told so as if it had found fewer (idle):
  -- it acks its jobs alone and blocks, rather than send one more lease to find the queue empty
  local moreReady = false
  if count > 0 and config.woke and not short then moreReady = more or moreWaiting(ctx) end
  local emptied = count > 0 and config.woke and not short and not moreReady
  announceDrained(ctx, asked, leased, more, emptied)
  local waitMs, idle = 0, 0
  -- fewer jobs than asked for: the queue is empty (or the group limited) now. The worker will
  -- block on the group's wake marker, which then holds the next due time (a delayed job, a
  -- retry, a lease deadline, a slot, the limiter): whichever idle worker takes the marker waits
  -- for that time, so one worker, not all, wakes for it (see wake.lua)
  if short or emptied then
    idle = 1
    waitMs = nextWakeIn(ctx)
    if limitedFor >= 0 and (waitMs < 0 or limitedFor < waitMs) then waitMs = limitedFor end
    -- (a due time past the block timeout needs no holder: every idle worker leases once per
    -- block timeout anyway, and a lease deadline of a running job is usually that far)
    if waitMs >= 0 and waitMs < (config.blockMs or math.huge) then wake(keys.wake, group, now + waitMs) end
  elseif moreReady then
    wake(keys.wake, group)
  end
  -- a repeating job's slot is due: the worker computes the next slot (cron) and fires it
  -- (also on ack-only calls: workers that are all busy must still fire slots on time)
  local schedulersDue = 0
  local head = headOf(ctx, keys.schedulers)
  if head and head <= now then schedulersDue = 1 end
  local stalled, dead, jobs = ctx.stalled, ctx.dead, ctx.jobs
  local reply = { now, waitMs, idle, flags, schedulersDue, #stalled }
  for i = 1, #stalled do reply[#reply + 1] = stalled[i] end
  reply[#reply + 1] = #dead / 2
  for i = 1, #dead do reply[#reply + 1] = dead[i] end
  reply[#reply + 1] = leased
  for i = 1, #jobs do reply[#reply + 1] = jobs[i] end
  return reply
end
