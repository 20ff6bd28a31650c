--[[
  add-flow: add a flow (a tree of jobs: parents wait for their children) in one atomic step,
  or one chunk of a flow too large for one call (stage 'hold', then 'commit' for the last one:
  its jobs are held, not placed, until the commit; flowPlace.lua). Nodes come parents first. A parent gets a
  published record in state waiting-children (not placed: no worker sees it) with pd = its
  number of children, and joins its queue's waitkids set; a child gets a record naming its
  parent (pb, pi, pp) and is placed as any job with a record (delay, priority, lifo,
  ordering key: see enqueue.lua); a child that is itself a parent waits too. flowParents.lua
  says what happens when children finish. The queues may differ; they share one slot on a
  Cluster (the caller checks it), and none is partitioned.

  KEYS[1] wake       P:{Q}:wake         the first queue's wake anchor: never written, declared so
                                        that Redis refuses the call whole while the slot migrates
  KEYS[2] held       P:{R}:flow:<F>     a flow of several calls: its held list, in its root's
                                        queue R (untouched by a one-call flow)

  ARGV[1] queues     JSON array of the queues' bases "P:{Q}:" (nodes name them by position, 1-based)
  ARGV[2] stage      '' (one call: place every job), 'hold' (a call of a flow of several: hold its
                     jobs) or 'commit' (the last call of such a flow: hold them, and commit it)
  ARGV[3..] nodes    nine per node: queue (position in queues), id ('' = generate), name, data
                     (JSON), opts (JSON), schedule ('' = none, else JSON {delay?, priority?,
                     lifo?, orderingKey?, startBy?}), parent ('' for a root; 'n:<k>' node k of
                     this call; 'j:<q>:<id>' a parent a previous call added, in queue q), policy
                     (f, i, c or r: see flowParents.lua), children (how many the node has in
                     all, 0 for a leaf)

  Returns { 1, now, id, ... } Redis time (ms) and the node ids in order; { 0, id } when the first node has an id of its
  own that exists (the flow was added before: nothing is added); { -4, id } it exists, held by
  an add of its flow that stopped before its last call (it expires: nothing is added); { -1, base } a queue is
  partitioned or has groups but not default; { -2, id } another node's own id exists; { -3, id }
  the previous call's parent no longer waits for children.
]]
-- @include keys
-- @include redisTime
-- @include placeWaiting
-- @include newRecord
-- @include flowPlace
local heldKey = KEYS[2]
local queues, stage = cjson.decode(ARGV[1]), ARGV[2]
local now = redisTime()
-- the held list is under the root's queue base, as that queue's list of committed flows
local rootBase = flowRootBase(heldKey)


-- reads first: the queues (not partitioned; fan-out only with a default group, whose record is
-- the one that tells the parent), the ids given, the parents of earlier calls
for _, base in ipairs(queues) do
  if redis.call('HEXISTS', base .. Key.meta, 'partitions') == 1 then return { -1, base } end
  local groups = redis.call('SMEMBERS', base .. Key.groups)
  if #groups > 0 and not hasGroup(groups, 'default') then return { -1, base } end
end
local generated = {}
for i = 3, #ARGV, 9 do
  local base, id, parent = queues[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 6]
  if id == '' then
    generated[base] = (generated[base] or 0) + 1
  elseif jobIdTaken(base, id) then
    if i == 3 and parent == '' then
      -- the root of a flow added before; one whose add stopped before its commit is held, unseen
      local held = redis.pcall('HGET', Key.job(base, id), 'fh')
      if type(held) == 'string' and not redis.call('LPOS', flowRootBase(held) .. Key.flows, held) then
        return { -4, id }
      end
      return { 0, id }
    end
    return { -2, id }
  end
  local q, pid = string.match(parent, '^j:(%d+):(.+)$')
  if q and redis.call('HGET', Key.job(queues[tonumber(q)], pid), 's') ~= 'waiting-children' then return { -3, pid } end
end
local nextIds = {}
for base, n in pairs(generated) do nextIds[base] = redis.call('INCRBY', base .. Key.id, n) - n end

local ids = {}
local acc = newFlowPlacing(now)
for i = 3, #ARGV, 9 do
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
    pb, pid = queues[tonumber(ARGV[3 + (k - 1) * 9])], ids[k]
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
  if children > 0 then redis.call('HSET', jobKey, 's', 'waiting-children', 'pd', children) end
  if stage == '' then
    placeFlowJob(acc, base, id, children > 0, delayMs, priority, sched.lifo, sched.orderingKey)
  else
    holdFlowJob(heldKey, base, id, delayMs, pb and Key.kids(pb, pid))
  end
end
if stage == '' then finishFlowPlacing(acc) end
if stage == 'commit' then
  -- committed: from now on the flow is placed in full, by the producer or the root queue's workers
  redis.call('RPUSH', rootBase .. Key.flows, heldKey)
  redis.call('HSET', rootBase .. Key.meta, 'flows', '1')
end
local reply = { 1, now }
for i = 1, #ids do reply[#reply + 1] = ids[i] end
return reply
