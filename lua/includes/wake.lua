-- @include keys
-- wake(wakeKey, group, at, except): tell one idle worker of `group` ('*': of every group but
-- `except`) that work is ready (at: a time in ms of Redis time when it will be; default now). Each group has one wake
-- marker, the sorted set P:{Q}:g:G:wake holding the single member 'm' scored by when work is
-- ready. Idle workers block on it with BZPOPMIN, so a marker wakes exactly one of them, however
-- many wait (no thundering herd); that worker's lease re-arms the marker when it leaves work
-- behind (a full batch, or a later due time), which wakes the next one. ZADD LT keeps the
-- earliest time, so waking is idempotent and the marker never grows. (Workers keep a backup
-- check of a due time, member 'b', in a second set, g:G:wakeb: see src/worker/idle-wait.ts.)
-- wakeKey is the queue's wake anchor P:{Q}:wake (declared in KEYS, so the scripts keep one
-- contract); the markers are derived from it and share its hash tag.
local function wakeMarker(wakeKey, group)
  return Key.group(string.sub(wakeKey, 1, -5), group) .. Key.wake
end
local function wake(wakeKey, group, at, except)
  at = at or 0
  if group ~= '*' then
    redis.call('ZADD', wakeMarker(wakeKey, group), 'LT', at, 'm')
    return
  end
  local groups = redis.call('SMEMBERS', string.sub(wakeKey, 1, -5) .. Key.groups)
  if #groups == 0 then groups = { 'default' } end
  for i = 1, #groups do
    if groups[i] ~= except then redis.call('ZADD', wakeMarker(wakeKey, groups[i]), 'LT', at, 'm') end
  end
end
