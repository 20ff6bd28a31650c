--[[
  create-group: subscribe a new consumer group to the queue's stream. From then on every job
  added to the queue reaches it; with a start id before now it first replays the retained
  history from there.

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups
  KEYS[3] delayed    P:{Q}:delayed

  ARGV[1] group      group name
  ARGV[2] from       '$' (only jobs added from now on), '0' (all retained history), or a stream
                     id: entries after it are delivered
  ARGV[3] base       key prefix "P:{Q}:"
  ARGV[4] keepDefault '1' or '0': see below

  The first group of a queue: until then the default group was implicit (created by its first
  worker, from the start of the stream), and jobs added meanwhile are its: stream entries, its
  redelivery list, priority set and ordered keys, and delayed jobs (which reach whichever groups
  exist when they are due). With keepDefault '1' the default group is made a member now, from
  the start, so that the new group's trimming cannot take those jobs from it, and it keeps
  receiving jobs. With '0' it is not: jobs still in the stream or delayed reach the new group
  (from `from`), and the caller removes what was placed for the default group alone.

  Returns 0 when the group existed already (left as it is), else 1 created, 2 created and the
  default group made a member, 3 created and the default group left out while jobs waited for it.
]]
-- @include keys
local streamKey, groupsKey, delayedKey = KEYS[1], KEYS[2], KEYS[3]
local group, from, base, keepDefault = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == '1'
-- do jobs wait for an implicit default group? (read before anything is written)
local pending = false
if group ~= 'default' and redis.call('SCARD', groupsKey) == 0 then
  local defaultGroup = Key.group(base, 'default')
  pending = redis.call('XLEN', streamKey) > 0 or redis.call('ZCARD', delayedKey) > 0
    or redis.call('EXISTS', defaultGroup .. Key.prio, defaultGroup .. Key.wait, defaultGroup .. Key.keyState) > 0
end
-- from '$': tell Redis how many entries the group has read (all of them), so that its lag, the
-- unread count, is exact from the start (without it Redis 7.0 knows only an upper bound)
local createArgs = { 'XGROUP', 'CREATE', streamKey, group, from, 'MKSTREAM' }
if from == '$' and redis.call('EXISTS', streamKey) == 1 then
  local info = redis.call('XINFO', 'STREAM', streamKey)
  for i = 1, #info, 2 do
    if info[i] == 'entries-added' then
      createArgs[#createArgs + 1] = 'ENTRIESREAD'
      createArgs[#createArgs + 1] = info[i + 1]
    end
  end
end
local created = redis.pcall(unpack(createArgs))
if type(created) == 'table' and created.err then
  if not string.find(created.err, 'BUSYGROUP', 1, true) then error(created.err, 0) end
  redis.call('SADD', groupsKey, group)
  return 0
end
redis.call('SADD', groupsKey, group)
if not pending then return 1 end
if not keepDefault then return 3 end
local made = redis.pcall('XGROUP', 'CREATE', streamKey, 'default', '0')
if type(made) == 'table' and made.err and not string.find(made.err, 'BUSYGROUP', 1, true) then error(made.err, 0) end
redis.call('SADD', groupsKey, 'default')
return 2
