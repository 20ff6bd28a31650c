-- @include keys
-- @include placeWaiting
-- @include wake
-- @include emit
-- Flows (fan-in): a parent job waits, in state waiting-children, for its children, which may be
-- in other queues (on a Cluster, queues of one slot: src/flow/flow-producer.ts checks it). The
-- parent's published record counts the children not finished yet (field pd) and its kids hash
-- (Key.kids) holds d:<child> while a child is pending, then v:<child> its return value or
-- f:<child> why it failed; <child> is the child's record key. A child's published record names
-- its parent (pb: the parent queue's base, pi: its id) and what its final failure does (pp):
-- f fails the parent, i ignores it (recorded), c lets the parent run now, r removes the
-- dependency. Only the published record (the default group's) carries them: a child counts
-- once, when the default group finishes it.

-- failFlowParent(pb, pid, reason, now): set by moveToFailed.lua (a parent failed by a child
-- fails as a job does, and its own parent hears of it); false in scripts that cannot fail jobs
local failFlowParent = false

-- releaseParent(pb, pid): a parent whose children are done (or one that continues after a
-- failure) is placed for every group of its queue as a due job is, and wakes its workers
local function releaseParent(pb, pid)
  local parentKey = Key.job(pb, pid)
  local f = redis.call('HMGET', parentKey, 's', 'p', 'lf', 'ok')
  if f[1] ~= 'waiting-children' then return end
  redis.call('ZREM', pb .. Key.waitingChildren, pid)
  redis.call('HSET', parentKey, 's', 'waiting')
  local k = { stream = pb .. Key.stream, groups = pb .. Key.groups, wake = pb .. Key.wake }
  local ready = placeWaiting(k, pb, pid, tonumber(f[2]), f[3] == '1', f[4])
  if ready or not f[4] then wake(k.wake, '*') end
  emitQueueWide(pb, 'due', 'j', pid)
end

-- childSettled(childRef, pb, pid, policy, value, reason, now): a child finished for good —
-- completed with `value` (JSON), failed with `reason`, or removed (neither). Counted once: a
-- child no longer pending (or whose parent is gone with its kids hash) changes nothing.
local function childSettled(childRef, pb, pid, policy, value, reason, now)
  local kids = Key.kids(pb, pid)
  if redis.call('HDEL', kids, 'd:' .. childRef) == 0 then return end
  if value then
    redis.call('HSET', kids, 'v:' .. childRef, value)
  elseif reason and policy ~= 'r' then
    redis.call('HSET', kids, 'f:' .. childRef, reason)
  end
  local left = redis.call('HINCRBY', Key.job(pb, pid), 'pd', -1)
  if reason and policy == 'f' then
    if failFlowParent then failFlowParent(pb, pid, 'child ' .. childRef .. ' failed: ' .. reason, now) end
  elseif left <= 0 or (reason and policy == 'c') then
    releaseParent(pb, pid)
  end
end

-- forgetFlowJob(base, id): a published record about to be deleted before it finished (removed):
-- a pending child stops counting for its parent (its dependency is removed), a waiting parent
-- leaves the waiting-children set (its kids hash goes with the record: deleteJobs, remove-job)
local function forgetFlowJob(base, id, now)
  local f = redis.call('HMGET', Key.job(base, id), 'pb', 'pi', 's')
  if f[3] == 'waiting-children' then redis.call('ZREM', base .. Key.waitingChildren, id) end
  if f[1] and f[2] then childSettled(Key.job(base, id), f[1], f[2], 'r', false, false, now) end
end
