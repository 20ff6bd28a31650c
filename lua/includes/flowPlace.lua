-- @include keys
-- @include placeWaiting
-- @include emit
-- @include dueScore
-- @include wake
-- Placing the jobs of a flow, as any job with a record is placed (a parent joins its queue's
-- waitkids set; a delayed child the delayed set; the others placeWaiting), then one added event
-- and one wake per queue. A flow of one add-flow call is placed as it is written. A larger one
-- is written in several calls whose jobs are *held*: written, not placed, listed in the flow's
-- held list (root queue's flow:<id>), and expiring (FLOW_HELD_TTL_MS) unless placed, so a
-- producer that stops before the last call leaves nothing anyone sees. The last call commits:
-- the held list joins the root queue's `flows` list (meta field flows = '1'). From then on the
-- flow is placed in batches, parents first: by the producer (place-flow.lua), or, if it
-- stopped, by the next leases of the root queue's default group (placeFlows).

-- how long a held job waits for its flow's commit and placing before it expires (7 days)
local FLOW_HELD_TTL_MS = 604800000

-- flowRootBase(heldKey): the base "P:{R}:" of the root queue a held list lives under (R's flow:<F>)
local function flowRootBase(heldKey)
  return string.match(heldKey, '^(.*)flow:[^:]*$') or ''
end

-- newFlowPlacing(now): what the placing of some flow jobs collects for finishFlowPlacing
local function newFlowPlacing(now)
  return { now = now, bases = {}, added = {}, delayedIds = {}, ready = {}, isParent = {}, firstDue = {} }
end

-- placeFlowJob(acc, base, id, isParent, delayMs, priority, lifo, orderingKey): places a flow job
-- whose record is written (a parent's in state waiting-children, with pd)
local function placeFlowJob(acc, base, id, isParent, delayMs, priority, lifo, orderingKey)
  if not acc.added[base] then
    acc.added[base] = {}
    acc.bases[#acc.bases + 1] = base
  end
  table.insert(acc.added[base], id)
  if isParent then
    redis.call('ZADD', base .. Key.waitingChildren, acc.now, id)
    acc.isParent[base .. id] = true
  elseif delayMs > 0 then
    redis.call('HSET', Key.job(base, id), 's', 'delayed', 'du', acc.now + delayMs)
    local score = dueScore(base .. Key.delayed, acc.now + delayMs)
    redis.call('ZADD', base .. Key.delayed, score, id)
    acc.firstDue[base] = math.min(acc.firstDue[base] or score, score)
    acc.delayedIds[base] = acc.delayedIds[base] or {}
    table.insert(acc.delayedIds[base], id)
  else
    local k = { stream = base .. Key.stream, groups = base .. Key.groups, wake = base .. Key.wake }
    if placeWaiting(k, base, id, priority, lifo, orderingKey) or not orderingKey then acc.ready[base] = true end
  end
end

-- finishFlowPlacing(acc): per queue, wakes its workers, then one added event (field dl: the
-- positions of the jobs added delayed, wc: of the parents waiting for children; the others wait)
local function finishFlowPlacing(acc)
  for _, base in ipairs(acc.bases) do
    if acc.ready[base] then wake(base .. Key.wake, '*') end
    -- a delayed job's due time goes into each group's marker (an idle worker holds it until then)
    if acc.firstDue[base] then wake(base .. Key.wake, '*', acc.firstDue[base]) end
  end
  for _, base in ipairs(acc.bases) do
    local list = acc.added[base]
    local isDelayed, dl, wc = {}, {}, {}
    for _, id in ipairs(acc.delayedIds[base] or {}) do isDelayed[id] = true end
    for j, id in ipairs(list) do
      if isDelayed[id] then dl[#dl + 1] = j - 1 end
      if acc.isParent[base .. id] then wc[#wc + 1] = j - 1 end
    end
    local fields = { 'j', table.concat(list, ' ') }
    if #dl > 0 then fields[#fields + 1] = 'dl'; fields[#fields + 1] = table.concat(dl, ' ') end
    if #wc > 0 then fields[#fields + 1] = 'wc'; fields[#fields + 1] = table.concat(wc, ' ') end
    appendEvent(base, 'added', fields, true)
    if #dl > 0 then emitQueueWide(base, 'delayed', 'j', table.concat(acc.delayedIds[base], ' ')) end
  end
end

-- holdFlowJob(heldKey, base, id, delayMs, parentKids): a flow job of a call that does not place
-- it: listed in the held list, marked (fh), and expiring with its parent's children hash
local function holdFlowJob(heldKey, base, id, delayMs, parentKids)
  local jobKey = Key.job(base, id)
  redis.call('HSET', jobKey, 'fh', heldKey)
  redis.call('PEXPIRE', jobKey, FLOW_HELD_TTL_MS)
  if parentKids then redis.call('PEXPIRE', parentKids, FLOW_HELD_TTL_MS) end
  redis.call('RPUSH', heldKey, cjson.encode({ base, id, delayMs }))
  redis.call('PEXPIRE', heldKey, FLOW_HELD_TTL_MS)
end

-- placeHeld(acc, heldKey, max): places up to `max` held jobs of a committed flow, in the order
-- written (parents before their children), for good (no expiry); returns how many are left. A
-- held job that is gone (expired, removed) is skipped.
local function placeHeld(acc, heldKey, max)
  local items = redis.call('LPOP', heldKey, max)
  if not items then return 0 end
  for _, item in ipairs(items) do
    local held = cjson.decode(item)
    local base, id, delayMs = held[1], held[2], tonumber(held[3]) or 0
    local jobKey = Key.job(base, id)
    local f = redis.call('HMGET', jobKey, 's', 'p', 'lf', 'ok', 'fh')
    if f[5] == heldKey then
      redis.call('PERSIST', jobKey)
      redis.call('HDEL', jobKey, 'fh')
      local isParent = f[1] == 'waiting-children'
      if isParent then redis.call('PERSIST', Key.kids(base, id)) end
      placeFlowJob(acc, base, id, isParent, delayMs, tonumber(f[2]), f[3] == '1', f[4])
    end
  end
  return redis.call('LLEN', heldKey)
end

-- flowPlaced(rootBase, heldKey): a committed flow is placed in full: it leaves the root queue's list
local function flowPlaced(rootBase, heldKey)
  redis.call('LREM', rootBase .. Key.flows, 1, heldKey)
  if redis.call('LLEN', rootBase .. Key.flows) == 0 then redis.call('HDEL', rootBase .. Key.meta, 'flows') end
end

-- placeFlows(rootBase, now, max): a lease of the default group of a queue whose committed flows
-- are not placed in full (their producer stopped midway): places up to `max` more of the oldest.
-- Returns whether any are left to place.
local function placeFlows(rootBase, now, max)
  local heldKey = redis.call('LINDEX', rootBase .. Key.flows, 0)
  if not heldKey then
    redis.call('HDEL', rootBase .. Key.meta, 'flows')
    return false
  end
  local acc = newFlowPlacing(now)
  local left = placeHeld(acc, heldKey, max)
  finishFlowPlacing(acc)
  if left > 0 then return true end
  flowPlaced(rootBase, heldKey)
  return redis.call('LLEN', rootBase .. Key.flows) > 0
end
