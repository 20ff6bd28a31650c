--[[
  add-flow: add a flow (a tree of jobs: parents wait for their children) in one atomic step,
  or one chunk of a flow too large for one call. Nodes come parents first. A parent gets a
  published record in state waiting-children (not placed: no worker sees it) with pd = its
  number of children, and joins its queue's waitkids set; a child gets a record naming its
  parent (pb, pi, pp) and is placed as any job with a record (delay, priority, lifo,
  ordering key: see enqueue.lua); a child that is itself a parent waits too. flowParents.lua
  says what happens when children finish. The queues may differ; they share one slot on a
  Cluster (the caller checks it), and none is partitioned.

  KEYS[1] wake       P:{Q}:wake         the first queue's wake anchor: never written, declared so
                                        that Redis refuses the call whole while the slot migrates

  ARGV[1] queues     JSON array of the queues' bases "P:{Q}:" (nodes name them by position, 1-based)
  ARGV[2..] nodes    nine per node: queue (position in queues), id ('' = generate), name, data
                     (JSON), opts (JSON), schedule ('' = none, else JSON {delay?, priority?,
                     lifo?, orderingKey?, startBy?}), parent ('' for a root; 'n:<k>' node k of
                     this call; 'j:<q>:<id>' a parent a previous call added, in queue q), policy
                     (f, i, c or r: see flowParents.lua), children (how many the node has in
                     all, 0 for a leaf)

  Returns { 1, now, id, ... } Redis time (ms) and the node ids in order; { 0, id } when the first node has an id of its
  own that exists (the flow was added before: nothing is added); { -1, base } a queue is
  partitioned or has groups but not default; { -2, id } another node's own id exists; { -3, id }
  the previous call's parent no longer waits for children.
]]
-- @include keys
-- @include redisTime
-- @include placeWaiting
-- @include emit
-- @include dueScore
-- @include wake
-- @include newRecord
local queues = cjson.decode(ARGV[1])
local now = redisTime()


-- reads first: the queues (not partitioned; fan-out only with a default group, whose record is
-- the one that tells the parent), the ids given, the parents of earlier calls
for _, base in ipairs(queues) do
  if redis.call('HEXISTS', base .. Key.meta, 'partitions') == 1 then return { -1, base } end
  local groups = redis.call('SMEMBERS', base .. Key.groups)
  if #groups > 0 and not hasGroup(groups, 'default') then return { -1, base } end
end
local generated = {}
for i = 2, #ARGV, 9 do
  local base, id, parent = queues[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 6]
  if id == '' then
    generated[base] = (generated[base] or 0) + 1
  elseif jobIdTaken(base, id) then
    if i == 2 and parent == '' then return { 0, id } end
    return { -2, id }
  end
  local q, pid = string.match(parent, '^j:(%d+):(.+)$')
  if q and redis.call('HGET', Key.job(queues[tonumber(q)], pid), 's') ~= 'waiting-children' then return { -3, pid } end
end
local nextIds = {}
for base, n in pairs(generated) do nextIds[base] = redis.call('INCRBY', base .. Key.id, n) - n end

local ids, added, delayedIds, ready, isParent, firstDue = {}, {}, {}, {}, {}, {}
local function note(list, base, id)
  list[base] = list[base] or {}
  table.insert(list[base], id)
end
for i = 2, #ARGV, 9 do
  local base, id, name, data, opts = queues[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local sched = ARGV[i + 5] ~= '' and cjson.decode(ARGV[i + 5]) or {}
  local parent, policy, children = ARGV[i + 6], ARGV[i + 7], tonumber(ARGV[i + 8])
  if id == '' then
    nextIds[base] = nextIds[base] + 1
    id = string.format('%d', nextIds[base])
  end
  ids[#ids + 1] = id
  local jobKey = Key.job(base, id)
  local priority = newRecord(jobKey, name, data, opts, now, sched)
  -- its parent: a node of this call (already written: parents come first) or of an earlier one
  local pb, pid
  local k = tonumber(string.match(parent, '^n:(%d+)$'))
  if k then
    pb, pid = queues[tonumber(ARGV[2 + (k - 1) * 9])], ids[k]
  elseif parent ~= '' then
    local q
    q, pid = string.match(parent, '^j:(%d+):(.+)$')
    pb = queues[tonumber(q)]
  end
  if pb then
    redis.call('HSET', jobKey, 'pb', pb, 'pi', pid, 'pp', policy)
    redis.call('HSET', Key.kids(pb, pid), 'd:' .. jobKey, '')
  end
  local delayMs = tonumber(sched.delay) or 0
  if children > 0 then
    redis.call('HSET', jobKey, 's', 'waiting-children', 'pd', children)
    redis.call('ZADD', base .. Key.waitingChildren, now, id)
    isParent[base .. id] = true
    note(added, base, id)
  elseif delayMs > 0 then
    redis.call('HSET', jobKey, 's', 'delayed', 'du', now + delayMs)
    local score = dueScore(base .. Key.delayed, now + delayMs)
    redis.call('ZADD', base .. Key.delayed, score, id)
    firstDue[base] = math.min(firstDue[base] or score, score)
    note(added, base, id)
    note(delayedIds, base, id)
  else
    local k2 = { stream = base .. Key.stream, groups = base .. Key.groups, wake = base .. Key.wake }
    if placeWaiting(k2, base, id, priority, sched.lifo, sched.orderingKey) or not sched.orderingKey then ready[base] = true end
    note(added, base, id)
  end
end
-- per queue: wake its workers, then one added event (field dl: the positions of the jobs added
-- delayed, wc: of the parents waiting for children; the others wait)
for _, base in ipairs(queues) do
  if ready[base] then wake(base .. Key.wake, '*') end
  -- a delayed job's due time goes into each group's marker (an idle worker holds it until then)
  if firstDue[base] then wake(base .. Key.wake, '*', firstDue[base]) end
end
for _, base in ipairs(queues) do
  local list = added[base]
  if list then
    added[base] = nil
    local isDelayed, dl, wc = {}, {}, {}
    for _, id in ipairs(delayedIds[base] or {}) do isDelayed[id] = true end
    for j, id in ipairs(list) do
      if isDelayed[id] then dl[#dl + 1] = j - 1 end
      if isParent[base .. id] then wc[#wc + 1] = j - 1 end
    end
    local fields = { 'j', table.concat(list, ' ') }
    if #dl > 0 then fields[#fields + 1] = 'dl'; fields[#fields + 1] = table.concat(dl, ' ') end
    if #wc > 0 then fields[#fields + 1] = 'wc'; fields[#fields + 1] = table.concat(wc, ' ') end
    appendEvent(base, 'added', fields, true)
    if #dl > 0 then emitQueueWide(base, 'delayed', 'j', table.concat(delayedIds[base], ' ')) end
  end
end
local reply = { 1, now }
for i = 1, #ids do reply[#reply + 1] = ids[i] end
return reply
