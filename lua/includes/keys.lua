-- Key names built inside the scripts, all here, under the names src/redis/keys.ts gives them (where
-- Node builds them). A script derives every key from a prefix it is given: the queue's base
-- "P:{Q}:" (ARGV base, checked against KEYS[1] by the guard compile.mjs adds), so all of them
-- share the queue's hash tag (invariant 2 (docs/invariants.md)). Two prefixes come from it:
--   Key.group(base, group)    "P:{Q}:g:G:", a group's keys (the `g` of keys.ts group(name))
--   Key.records(base, group)  the group's record prefix (keys.ts group(name).records): the
--                             default group's records are the published ones, under base itself;
--                             every other group keeps its own, under its group prefix
-- A name with a parameter is a function of its prefix: Key.job(base, id) is a published record,
-- Key.job(rb, id) a group's (keys.ts job(id) on the queue and on a group). A fixed name is the
-- part after its prefix: base .. Key.meta (keys.ts meta), g .. Key.wait (group(G).wait);
-- Key.wake names the queue's wake anchor under base and a group's marker under g.
-- Names marked (Lua only) have no counterpart in keys.ts: only the scripts use them.
-- (Written as one table, it is never built as one: compile.mjs takes it apart (key-names.mjs),
-- a fixed name becoming its string where it is used and a name with a parameter a function
-- made on first use, so that a call pays for none of it. Use it only as Key.name.)
local Key = {
  group = function(base, group) return base .. 'g:' .. group .. ':' end,
  records = function(base, group)
    if group == 'default' then return base end
    return base .. 'g:' .. group .. ':'
  end,
  -- under any record prefix (base or a group's)
  job = function(prefix, id) return prefix .. 'job:' .. id end,
  logs = function(prefix, id) return prefix .. 'logs:' .. id end,
  -- under base
  scheduler = function(base, key) return base .. 'scheduler:' .. key end,
  dedup = function(base, dedupId) return base .. 'dedup:' .. dedupId end,
  -- a flow parent's children (flowParents.lua): d:<child> pending, v:<child> its return value,
  -- f:<child> the reason it failed (under the parent's base; only the published record is a parent)
  kids = function(base, id) return base .. 'kids:' .. id end,
  -- under a group prefix, per ordering key (orderedKeys.lua)
  keyLine = function(g, key) return g .. 'key:' .. key end, -- (Lua only) the key's waiting jobs
  keyLimiter = function(g, key) return g .. 'klim:' .. key end, -- (Lua only) the key's limiter log

  -- fixed names under base or under a group prefix
  wake = 'wake',
  wakeBackup = 'wakeb', -- under a group prefix: the backup check of a due time (src/worker/idle-wait.ts)
  -- under base
  flows = 'flows', -- flows committed whose jobs are still being placed: their held lists' keys (flowPlace.lua)
  groups = 'groups', meta = 'meta', events = 'events', room = 'room', schedulers = 'schedulers',
  dedupIndex = 'dedups', stream = 'stream', delayed = 'delayed', id = 'id',
  waitingChildren = 'waitkids', -- flow parents waiting for their children: id -> when added
  prioritySeq = 'pseq', -- (Lua only) the order in which prioritised jobs were placed
  -- under a group prefix
  wait = 'wait', active = 'active', prio = 'prio', failed = 'failed', paused = 'paused', limiter = 'limiter',
  keyState = 'keyst', keyWait = 'keywait',
  keyRing = 'keys', -- (Lua only) the ring of ready ordering keys
}
