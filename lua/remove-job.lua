--[[
  remove-job: delete one job and its logs, wherever it waits. An active job is refused: its
  worker holds the lease (wait for it, or let it fail).

  KEYS[1] job        P:{Q}:job:<id>
  KEYS[2] active     P:{Q}:g:G:active
  KEYS[3] wait       P:{Q}:g:G:wait
  KEYS[4] delayed    P:{Q}:delayed
  KEYS[5] retry      P:{Q}:g:G:retry
  KEYS[6] prio       P:{Q}:g:G:prio
  KEYS[7] completed  P:{Q}:g:G:completed
  KEYS[8] failed     P:{Q}:g:G:failed
  KEYS[9] logs       P:{Q}:logs:<id>
  KEYS[10] stream    P:{Q}:stream

  ARGV[1] id         job id
  ARGV[2] group      group name (to tell whether a plain job's entry was read already)
  ARGV[3] base       key prefix "P:{Q}:" (for the job's deduplication key)

  Returns 1 removed, 0 no such job, -1 refused because the job is active.
  A waiting job with a record keeps its stream entry; the lease skips entries whose record is
  gone. A plain job that waits as a stream entry only (no record yet) has its entry deleted.
]]
-- @include dedup
-- @include emit
local jobKey, activeKey, waitKey, delayedKey, retryKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local prioKey, completedKey, failedKey, logsKey, streamKey = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local id, group, base = ARGV[1], ARGV[2], ARGV[3]

-- a < b in stream id order
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if #am ~= #bm then return #am < #bm end
  if am ~= bm then return am < bm end
  return tonumber(as) < tonumber(bs)
end

local function lastDelivered()
  local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', streamKey)
  if not ok then return '0-0' end
  for _, info in ipairs(groups) do
    local fields = {}
    for i = 1, #info, 2 do fields[info[i]] = info[i + 1] end
    if fields['name'] == group then return fields['last-delivered-id'] end
  end
  return '0-0'
end

if redis.call('EXISTS', jobKey) == 0 then
  if not string.match(id, '^%d+%-%d+$') then return 0 end
  local entry = redis.call('XRANGE', streamKey, id, id)[1]
  if not entry or entry[2][1] ~= 'n' or not before(lastDelivered(), id) then return 0 end
  redis.call('XDEL', streamKey, id)
  emit(base, 'removed', 'j', id)
  return 1
end
if redis.call('ZSCORE', activeKey, id) then return -1 end
-- a job announced in the stream (own id, promoted) loses its entry too, if no one read it yet
local entryId = redis.call('HGET', jobKey, 'se')
if entryId and before(lastDelivered(), entryId) then redis.call('XDEL', streamKey, entryId) end
releaseDedup(base, jobKey, id)
for _, key in ipairs({ delayedKey, retryKey, prioKey, completedKey, failedKey }) do redis.call('ZREM', key, id) end
redis.call('LREM', waitKey, 0, id)
redis.call('DEL', jobKey, logsKey)
emit(base, 'removed', 'j', id)
return 1
