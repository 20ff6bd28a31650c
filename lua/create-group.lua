--[[
  create-group: subscribe a new consumer group to the queue's stream. From then on every job
  added to the queue reaches it; with a start id before now it first replays the retained
  history from there.

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups

  ARGV[1] group      group name
  ARGV[2] from       '$' (only jobs added from now on), '0' (all retained history), or a stream
                     id: entries after it are delivered
  ARGV[3] base       key prefix "P:{Q}:"

  The first group of a queue that already holds jobs: those were added for the default group,
  implicit until its first worker; it is made a member now (from the start), so that trimming
  for the new group cannot take them from it.

  Returns 1 when created, 2 when created and the default group made a member too, 0 when the
  group existed already (left as it is).
]]
local streamKey, groupsKey = KEYS[1], KEYS[2]
local group, from, base = ARGV[1], ARGV[2], ARGV[3]
local withDefault = false
if group ~= 'default' and redis.call('SCARD', groupsKey) == 0 then
  local d = base .. 'g:default:'
  if redis.call('XLEN', streamKey) > 0 or redis.call('EXISTS', d .. 'prio', d .. 'wait', d .. 'keyst') > 0 then
    redis.call('XGROUP', 'CREATE', streamKey, 'default', '0', 'MKSTREAM')
    redis.call('SADD', groupsKey, 'default')
    withDefault = true
  end
end
local created = redis.pcall('XGROUP', 'CREATE', streamKey, group, from, 'MKSTREAM')
if type(created) == 'table' and created.err then
  if not string.find(created.err, 'BUSYGROUP', 1, true) then error(created.err, 0) end
  redis.call('SADD', groupsKey, group)
  return 0
end
redis.call('SADD', groupsKey, group)
if withDefault then return 2 end
return 1
