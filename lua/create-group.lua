--[[
  create-group: subscribe a new consumer group to the queue's stream. From then on every job
  added to the queue reaches it; with a start id before now it first replays the retained
  history from there.

  KEYS[1] stream     P:{Q}:stream
  KEYS[2] groups     P:{Q}:groups

  ARGV[1] group      group name
  ARGV[2] from       '$' (only jobs added from now on), '0' (all retained history), or a stream
                     id: entries after it are delivered

  Returns 1 when created, 0 when the group existed already (left as it is).
]]
local streamKey, groupsKey = KEYS[1], KEYS[2]
local group, from = ARGV[1], ARGV[2]
local created = redis.pcall('XGROUP', 'CREATE', streamKey, group, from, 'MKSTREAM')
if type(created) == 'table' and created.err then
  if not string.find(created.err, 'BUSYGROUP', 1, true) then error(created.err, 0) end
  redis.call('SADD', groupsKey, group)
  return 0
end
redis.call('SADD', groupsKey, group)
return 1
