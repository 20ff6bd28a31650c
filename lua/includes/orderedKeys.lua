-- @include keys
-- @include wake
-- @include slidingWindow
-- @include deleteJobs
-- Ordered keys (message groups): jobs sharing an ordering key run one at a time (or
-- keyConcurrency at a time) in the order they were placed, through retries, while different
-- keys run in parallel. Per group G, with g = Key.group(base, G) (keys.lua):
--   Key.keyLine(g, K)     list of K's waiting job ids, oldest first
--   g .. Key.keyRing      the ring of ready keys (waiting jobs, a free slot): served round robin;
--                         a key whose line a removal emptied leaves it when a lease meets it
--   g .. Key.keyState     hash: 'a:' .. K slots held (leased, retrying, reclaimed jobs of K),
--                         'r:' .. K '1' while K is in the ring or parked, '#waiting' jobs in key lists
--   g .. Key.keyWait      zset of keys parked by their per-key limiter: K -> when it may start again
--   Key.keyLimiter(g, K)  the per-key limiter's log of starts
-- Memory follows the keys that have waiting or running jobs: a key's fields go when it has none.

-- Caps (the list of every loop's cap is in src/limits.ts)
local KEY_RING_EXTRA = 256 -- ring entries per script call that yield no job (see keyTake)
local KEY_UNPARK_MAX = 200 -- parked keys relisted per call
local KEY_SCAN_COUNT = 50 -- HSCAN COUNT of keyDrain (a hint: a batch is about that many fields)
local KEY_SCAN_STEPS = 100 -- HSCAN steps per keyDrain call (each costs 1 of its budget too)

-- set when this script call put a key back in the ring (see wakeForKeys)
local keysRelisted = false

-- keyCount(state, field, by): HINCRBY of a counter of the key state hash; a counter garbled
-- into something that is not an integer starts again from `by` instead of failing the script
-- (and with it every lease of the group: invariant 8)
local function keyCount(state, field, by)
  local n = redis.pcall('HINCRBY', state, field, by)
  if type(n) == 'number' then return n end
  redis.call('HSET', state, field, by)
  return by
end

-- keyListIfReady(g, key, conc, hasWaiting): put a key in the ring if it has waiting jobs and a
-- free slot (hasWaiting: the caller knows its line is not empty)
local function keyListIfReady(g, key, conc, hasWaiting)
  local st = redis.call('HMGET', g .. Key.keyState, 'a:' .. key, 'r:' .. key)
  if st[2] == '1' or (tonumber(st[1]) or 0) >= conc then return false end
  if not hasWaiting and redis.call('LLEN', Key.keyLine(g, key)) == 0 then return false end
  redis.call('RPUSH', g .. Key.keyRing, key)
  redis.call('HSET', g .. Key.keyState, 'r:' .. key, '1')
  keysRelisted = true
  return true
end

-- wakeForKeys(g, wakeKey, group): a finished job freed its key's next job, and this call did
-- not take it: an idle worker must hear of it (see wake.lua)
local function wakeForKeys(g, wakeKey, group)
  if keysRelisted and redis.call('LLEN', g .. Key.keyRing) > 0 then wake(wakeKey, group) end
end

-- keyPush(g, key, id, conc): a job waits behind its key's earlier jobs. True when the key
-- became ready (idle workers must be woken).
local function keyPush(g, key, id, conc)
  local waiting = redis.call('RPUSH', Key.keyLine(g, key), id)
  keyCount(g .. Key.keyState, '#waiting', 1)
  -- jobs waited already: the key is listed (ring or parked), or all its slots are held and the
  -- next release lists it; only a line that was empty can make the key ready (the state read
  -- saved: one command per ordered job added behind another). (A keyConcurrency raised at run time lets a key
  -- with a slot held and jobs waiting wait for that release, as it would without new jobs.)
  if waiting > 1 then return false end
  return keyListIfReady(g, key, conc, true)
end

-- keyRelease(g, key, conc, id): a job of the key is done for good (completed, failed, removed):
-- its slot frees, and the key's next job may go. Once per job and script call, whichever of
-- its paths (a dead letter inside a lease, say) gets there first.
local releasedIds = {}
local function keyRelease(g, key, conc, id)
  if id then
    if releasedIds[id] then return end
    releasedIds[id] = true
  end
  if keyCount(g .. Key.keyState, 'a:' .. key, -1) <= 0 then redis.call('HDEL', g .. Key.keyState, 'a:' .. key) end
  keyListIfReady(g, key, conc)
end

-- keyUnpark(g, now, limited): parked keys go back into the ring: those whose per-key limit
-- allows them again, or, once the group has no per-key limit any more, every one (a parked key
-- stays marked as listed, so nothing else would ever relist it)
local function keyUnpark(g, now, limited)
  local due
  if limited then
    due = redis.call('ZRANGEBYSCORE', g .. Key.keyWait, '-inf', now, 'LIMIT', 0, KEY_UNPARK_MAX)
  else
    due = redis.call('ZRANGE', g .. Key.keyWait, 0, KEY_UNPARK_MAX - 1)
  end
  if #due == 0 then return end
  redis.call('ZREM', g .. Key.keyWait, unpack(due))
  redis.call('RPUSH', g .. Key.keyRing, unpack(due))
  keysRelisted = true
end

-- keysListed(g, settings, now): whether keys may be ready (the ring or the parked keys exist);
-- one command when neither does. Without a per-key limit (it was removed while keys were
-- parked), parked keys are relisted first: nothing else would.
local function keysListed(g, settings, now)
  if redis.call('EXISTS', g .. Key.keyRing, g .. Key.keyWait) == 0 then return false end
  if settings.keyLimitMax <= 0 then keyUnpark(g, now, false) end
  return true
end

-- keyLimitWait(g, key, settings, now, member): with a per-key limit, records a start of the key
-- now and returns 0, or returns the ms until the key's window has room (nothing recorded).
local function keyLimitWait(g, key, settings, now, member)
  if settings.keyLimitMax <= 0 then return 0 end
  local log = Key.keyLimiter(g, key)
  local room, wait = windowRoom(log, settings.keyLimitMax, settings.keyLimitMs, now)
  if room <= 0 then return wait end
  windowRecord(log, settings.keyLimitMs, now, { member })
  return 0
end

-- keyTake(g, n, settings, now, nonce, out): jobs from the ready keys until out holds n, one
-- key after the other (round robin: a key that still has jobs and a free slot goes to the back
-- of the ring), so one hot key cannot starve the others. Appends { id, key } to out.
-- Bounded: besides the entries that yield a job, a script call pops at most KEY_RING_EXTRA
-- entries that do not (keys whose line a drain or removal emptied leave the ring as they are
-- met, parked keys). Stopped by that cap with keys still listed, it marks the call as having
-- relisted keys, so that wakeForKeys wakes the workers to go on in their next call.
local ringMisses = 0
local function keyTake(g, n, settings, now, nonce, out)
  local conc = settings.keyConcurrency
  local ring, state = g .. Key.keyRing, g .. Key.keyState
  local taken = 0
  while #out < n and ringMisses < KEY_RING_EXTRA do
    local key = redis.call('LPOP', ring)
    if not key then break end
    local line = Key.keyLine(g, key)
    local id = redis.call('LPOP', line)
    local wait = id and keyLimitWait(g, key, settings, now, nonce .. ':' .. id) or 0
    if not id then
      ringMisses = ringMisses + 1
      redis.call('HDEL', state, 'r:' .. key)
    elseif wait > 0 then
      -- over the key's limit: the job stays first in line, the key is parked until its window
      -- has room (it stays marked as listed)
      ringMisses = ringMisses + 1
      redis.call('LPUSH', line, id)
      redis.call('ZADD', g .. Key.keyWait, now + wait, key)
    else
      taken = taken + 1
      local held = keyCount(state, 'a:' .. key, 1)
      out[#out + 1] = { id, key }
      -- back of the ring only with a free slot and another job waiting (with one slot, the
      -- common case, no look at the line): the ring holds only keys that have work
      if held < conc and redis.call('LLEN', line) > 0 then
        redis.call('RPUSH', ring, key)
      else
        redis.call('HDEL', state, 'r:' .. key)
      end
    end
  end
  if taken > 0 then keyCount(state, '#waiting', -taken) end
  if #out < n and ringMisses >= KEY_RING_EXTRA and redis.call('LLEN', ring) > 0 then keysRelisted = true end
end

-- drainLine(g, key, room, doomed): take up to `room` (>= 1) of the jobs waiting in a key's
-- line out of it, their ids appended to `doomed` (their records are deleted by the caller).
-- Returns how many, and whether the line is empty now.
local function drainLine(g, key, room, doomed)
  local line = Key.keyLine(g, key)
  local ids = redis.call('LRANGE', line, 0, room - 1)
  if #ids == 0 then return 0, true end
  for i = 1, #ids do doomed[#doomed + 1] = ids[i] end
  redis.call('LTRIM', line, #ids, -1)
  if #ids < room then return #ids, true end
  return #ids, redis.call('LLEN', line) == 0
end

-- forgetKey(g, key): with its line empty, the key's state goes (obliterate, removeGroup)
local function forgetKey(g, key)
  redis.call('HDEL', g .. Key.keyState, 'a:' .. key, 'r:' .. key)
  redis.call('DEL', Key.keyLimiter(g, key))
end

-- keyDrain(g, base, rb, budget, forget, cursor): delete the group's waiting ordered jobs, with
-- their records (rb), within `budget`: every key met and every job deleted costs 1. First the
-- ring (each key popped leaves it, its line emptied) and, with forget, the parked keys; then
-- the keys listed nowhere (all their slots held, or parked) by an HSCAN of keyst that resumes
-- from `cursor` ('0' starts a pass; a batch with a line left unfinished is scanned again).
-- With forget (obliterate, removeGroup) each emptied key's state goes too, and once the pass
-- is complete the group's key structures are deleted.
-- Returns deleted, used, and the cursor to resume from (false: the pass is complete). Until
-- the pass is complete, used is the whole budget (the caller comes back).
local function keyDrain(g, base, rb, budget, forget, cursor)
  local used, deleted, doomed = 0, 0, {}
  local ring, state, parkedKeys = g .. Key.keyRing, g .. Key.keyState, g .. Key.keyWait
  local function line(key)
    used = used + 1
    local room = budget - used
    -- at least one job per call, so that a call always gets somewhere
    if room < 1 and deleted == 0 then room = 1 end
    if room < 1 then return false end
    local n, empty = drainLine(g, key, room, doomed)
    used, deleted = used + n, deleted + n
    return empty
  end
  while used < budget do
    local key = redis.call('LPOP', ring)
    if not key then break end
    if not line(key) then
      redis.call('LPUSH', ring, key)
      break
    end
    if forget then forgetKey(g, key) else redis.call('HDEL', state, 'r:' .. key) end
  end
  while forget and used < budget do
    local parked = redis.call('ZPOPMIN', parkedKeys)
    if #parked == 0 then break end
    if not line(parked[1]) then
      redis.call('ZADD', parkedKeys, parked[2], parked[1])
      break
    end
    forgetKey(g, parked[1])
  end
  local steps = 0
  while cursor and used < budget and steps < KEY_SCAN_STEPS do
    steps = steps + 1
    used = used + 1
    local scan = redis.call('HSCAN', state, cursor, 'COUNT', KEY_SCAN_COUNT)
    local finished, seen = true, {}
    for i = 1, #scan[2], 2 do
      local key = string.match(scan[2][i], '^[ar]:(.*)$')
      if key and not seen[key] then
        seen[key] = true
        if line(key) then
          if forget then forgetKey(g, key) end
        else
          finished = false
        end
      end
    end
    if not finished then break end
    cursor = scan[1]
    if cursor == '0' then cursor = false end
  end
  if #doomed > 0 then
    deleteRecords(base, rb, doomed)
    keyCount(state, '#waiting', -#doomed)
  end
  -- a pass is complete: the group's key structures go (with what was added behind the scan,
  -- as jobs added to a group while it is removed may be)
  if forget and not cursor then redis.call('DEL', state, ring, parkedKeys) end
  if cursor then used = math.max(used, budget) end
  return deleted, used, cursor
end
