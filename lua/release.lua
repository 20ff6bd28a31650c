--[[
  release: hand leased jobs back to the group without using an attempt (graceful shutdown:
  jobs leased but not started, or aborted at the close deadline). They go to the front of the
  line and idle workers are woken.

  FLAGS allow-oom   (a hand-back writes nothing new)

  KEYS[1] active     P:{Q}:g:G:active
  KEYS[2] wait       P:{Q}:g:G:wait
  KEYS[3] wake       P:{Q}:wake

  ARGV[1] base       key prefix "P:{Q}:"
  ARGV[2] group      group name
  ARGV[3] started    1 if the jobs had started (the delivery stays counted), 0 if not
  ARGV[4..] pairs    job id, token, ...
            or: '*', nonce — the jobs leased by the call with that nonce (tokens nonce.k), if
            that call ran: a worker whose call got no answer hands them back (not started).
            Looked for among the 1,000 newest leases of the group (a bounded read: that
            call's leases are among the newest; any not found there expire as usual).

  Returns the number of jobs handed back (a job whose token is no longer current is skipped).
]]
-- @include keys
-- @include wake
-- @include leasedEntry
local activeKey, waitKey, wakeKey = KEYS[1], KEYS[2], KEYS[3]
local base, group, started = ARGV[1], ARGV[2], ARGV[3]
local rb = Key.records(base, group)
local back = {}
-- the jobs to hand back, flat: id, token, ...
local handBack = {}
for i = 4, #ARGV, 2 do
  handBack[#handBack + 1] = ARGV[i]
  handBack[#handBack + 1] = ARGV[i + 1]
end
if handBack[1] == '*' then
  -- tokens are nonce.k: find them among the newest leases, in lease order
  local prefix = handBack[2] .. '.'
  local found = {}
  local newest = redis.call('ZREVRANGE', activeKey, 0, 999)
  for i = 1, #newest do
    local tk = redis.pcall('HGET', Key.job(rb, newest[i]), 'tk')
    if type(tk) == 'string' and string.sub(tk, 1, #prefix) == prefix then
      found[#found + 1] = { tonumber(string.sub(tk, #prefix + 1)) or 0, newest[i], tk }
    end
  end
  table.sort(found, function(a, b) return a[1] < b[1] end)
  handBack = {}
  for i = 1, #found do
    handBack[#handBack + 1] = found[i][2]
    handBack[#handBack + 1] = found[i][3]
  end
end
for i = #handBack - 1, 1, -2 do
  local id, token = handBack[i], handBack[i + 1]
  local jobKey = Key.job(rb, id)
  if holdsLease(base .. Key.stream, jobKey, id, token) then
    redis.call('HSET', jobKey, 's', 'waiting', 'tk', '')
    if started == '0' then redis.call('HINCRBY', jobKey, 'dl', -1) end
    back[#back + 1] = id
  end
end
if #back > 0 then
  redis.call('ZREM', activeKey, unpack(back))
  -- iterated backwards, so LPUSH leaves the first pair at the front
  redis.call('LPUSH', waitKey, unpack(back))
  wake(wakeKey, group)
end
return #back
