-- @include wake
-- @include settings
-- @include slidingWindow
-- Ordered keys (message groups): jobs sharing an ordering key run one at a time (or
-- keyConcurrency at a time) in the order they were placed, through retries, while different
-- keys run in parallel. Per group G, with g = base .. 'g:' .. G .. ':':
--   g .. 'key:' .. K   list of K's waiting job ids, oldest first
--   g .. 'keys'        the ring of ready keys (waiting jobs, a free slot): served round robin
--   g .. 'keyst'       hash: 'a:' .. K slots held (leased, retrying, reclaimed jobs of K),
--                      'r:' .. K '1' while K is in the ring or parked, '#waiting' jobs in key lists
--   g .. 'keywait'     zset of keys parked by their per-key limiter: K -> when it may start again
--   g .. 'klim:' .. K  the per-key limiter's log of starts
-- Memory follows the keys that have waiting or running jobs: a key's fields go when it has none.

-- set when this script call put a key back in the ring (see wakeForKeys)
local keysRelisted = false

-- keyListIfReady(g, key, conc): put a key in the ring if it has waiting jobs and a free slot
local function keyListIfReady(g, key, conc)
  local st = redis.call('HMGET', g .. 'keyst', 'a:' .. key, 'r:' .. key)
  if st[2] == '1' or (tonumber(st[1]) or 0) >= conc then return false end
  if redis.call('LLEN', g .. 'key:' .. key) == 0 then return false end
  redis.call('RPUSH', g .. 'keys', key)
  redis.call('HSET', g .. 'keyst', 'r:' .. key, '1')
  keysRelisted = true
  return true
end

-- wakeForKeys(g, wakeKey, group): a finished job freed its key's next job, and this call did
-- not take it: an idle worker must hear of it (see wake.lua)
local function wakeForKeys(g, wakeKey, group)
  if keysRelisted and redis.call('LLEN', g .. 'keys') > 0 then wake(wakeKey, group) end
end

-- keyPush(g, key, id, conc): a job waits behind its key's earlier jobs. True when the key
-- became ready (idle workers must be woken).
local function keyPush(g, key, id, conc)
  redis.call('RPUSH', g .. 'key:' .. key, id)
  redis.call('HINCRBY', g .. 'keyst', '#waiting', 1)
  return keyListIfReady(g, key, conc)
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
  if redis.call('HINCRBY', g .. 'keyst', 'a:' .. key, -1) <= 0 then redis.call('HDEL', g .. 'keyst', 'a:' .. key) end
  keyListIfReady(g, key, conc)
end

-- keyUnpark(g, now): keys whose per-key limit allows them again go back into the ring
local function keyUnpark(g, now)
  local due = redis.call('ZRANGEBYSCORE', g .. 'keywait', '-inf', now, 'LIMIT', 0, 200)
  if #due == 0 then return end
  redis.call('ZREM', g .. 'keywait', unpack(due))
  redis.call('RPUSH', g .. 'keys', unpack(due))
end

-- keyLimitWait(g, key, settings, now, member): with a per-key limit, records a start of the key
-- now and returns 0, or returns the ms until the key's window has room (nothing recorded).
local function keyLimitWait(g, key, settings, now, member)
  if settings.keyLimitMax <= 0 then return 0 end
  local log = g .. 'klim:' .. key
  local room, wait = windowRoom(log, settings.keyLimitMax, settings.keyLimitMs, now)
  if room <= 0 then return wait end
  windowRecord(log, settings.keyLimitMs, now, { member })
  return 0
end

-- keyTake(g, n, settings, now, nonce, out): jobs from the ready keys until out holds n, one
-- key after the other (round robin: a key that still has jobs and a free slot goes to the back
-- of the ring), so one hot key cannot starve the others. Appends { id, key } to out.
local function keyTake(g, n, settings, now, nonce, out)
  local conc = settings.keyConcurrency
  local taken = 0
  local budget = n - #out + redis.call('LLEN', g .. 'keys')
  if budget <= n - #out then return end
  while #out < n and budget > 0 do
    budget = budget - 1
    local key = redis.call('LPOP', g .. 'keys')
    if not key then break end
    local id = redis.call('LPOP', g .. 'key:' .. key)
    local wait = id and keyLimitWait(g, key, settings, now, nonce .. ':' .. id) or 0
    if not id then
      redis.call('HDEL', g .. 'keyst', 'r:' .. key)
    elseif wait > 0 then
      -- over the key's limit: the job stays first in line, the key is parked until its window
      -- has room (it stays marked as listed)
      redis.call('LPUSH', g .. 'key:' .. key, id)
      redis.call('ZADD', g .. 'keywait', now + wait, key)
    else
      taken = taken + 1
      local held = redis.call('HINCRBY', g .. 'keyst', 'a:' .. key, 1)
      out[#out + 1] = { id, key }
      -- a key with a free slot goes to the back of the ring, whether or not more of its jobs
      -- wait (a key found empty there leaves it): one command less per job than looking
      if held < conc then
        redis.call('RPUSH', g .. 'keys', key)
      else
        redis.call('HDEL', g .. 'keyst', 'r:' .. key)
      end
    end
  end
  if taken > 0 then redis.call('HINCRBY', g .. 'keyst', '#waiting', -taken) end
end

-- keyDrain(g, rb, budget, forget): delete up to `budget` waiting ordered jobs of the group
-- (their records: rb, see records.lua) from their keys' lines; with forget, also each key's
-- state once its line is empty (obliterate, removeGroup). Returns how many jobs it deleted;
-- the caller repeats while that reaches the budget.
local function keyDrain(g, rb, budget, forget)
  local deleted = 0
  local cursor = '0'
  repeat
    local scan = redis.call('HSCAN', g .. 'keyst', cursor, 'COUNT', 100)
    cursor = scan[1]
    for i = 1, #scan[2], 2 do
      local field = scan[2][i]
      local key = string.match(field, '^[ar]:(.*)$')
      if key and deleted < budget then
        local line = g .. 'key:' .. key
        local ids = redis.call('LRANGE', line, 0, budget - deleted - 1)
        if #ids > 0 then
          for j = 1, #ids do redis.call('DEL', rb .. 'job:' .. ids[j], rb .. 'logs:' .. ids[j]) end
          redis.call('LTRIM', line, #ids, -1)
          redis.call('HINCRBY', g .. 'keyst', '#waiting', -#ids)
          deleted = deleted + #ids
        end
        if forget and redis.call('LLEN', line) == 0 then
          redis.call('HDEL', g .. 'keyst', 'a:' .. key, 'r:' .. key)
          redis.call('DEL', g .. 'klim:' .. key)
        end
      end
    end
  until cursor == '0' or deleted >= budget
  if forget and deleted < budget then redis.call('DEL', g .. 'keyst', g .. 'keys', g .. 'keywait') end
  return deleted
end
