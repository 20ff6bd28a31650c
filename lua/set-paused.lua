--[[
  set-paused: pause or resume a group. Paused groups lease nothing; jobs in flight finish.

  FLAGS allow-oom   (pausing must work on a full Redis)

  A change is announced with the group's event paused or resumed.

  KEYS[1] paused     P:{Q}:g:G:paused
  KEYS[2] wake       P:{Q}:wake

  ARGV[1] group      group name
  ARGV[2] paused     '1' to pause, '0' to resume
  ARGV[3] base       key prefix "P:{Q}:"

  Returns 1 when the state changed, 0 when it already was so.
]]
-- @include wake
-- @include emit
local pausedKey, wakeKey = KEYS[1], KEYS[2]
local group, paused, base = ARGV[1], ARGV[2], ARGV[3]
emitFor(group)
local changed
if paused == '1' then
  changed = redis.call('SET', pausedKey, '1', 'NX') and 1 or 0
else
  changed = redis.call('DEL', pausedKey)
end
if changed == 1 then emit(base, paused == '1' and 'paused' or 'resumed') end
-- blocked workers re-check at once (a resume must not wait for a block timeout)
wake(wakeKey, group)
return changed
