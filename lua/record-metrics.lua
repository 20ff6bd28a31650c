--[[
  record-metrics: one worker's flush of the metrics it aggregated in memory for one group of one
  queue (or partition) since its last flush (src/metrics/worker-metrics.ts), and its heartbeat
  in the group's worker registry. Adds the counts to the group's monotonic totals and to the
  current minute of two rings (Redis time): completed and dead-lettered per minute, and the wait
  and processing histograms per minute. A ring slot holds its minute's stamp; a slot found with
  an older stamp is overwritten, not added to, so the rings never grow (docs/key-schema.md); a
  ring expires once its whole length passed without a write (all its slots would be stale).
  Not on the hot path: one call per partition per flush interval, whatever the jobs.

  FLAGS allow-oom   (bounded: fixed-size totals and rings, one entry per worker; a worker draining a full Redis must still count and beat)

  KEYS[1] metrics     P:{Q}:g:G:metrics     string: the totals, i64 each, in the order the body lists
  KEYS[2] minutes     P:{Q}:g:G:minutes     string: ring of [minute, completed, dead] u32 triples
  KEYS[3] mhist       P:{Q}:g:G:mhist       string: ring of [minute, wait buckets, processing buckets] u32
  KEYS[4] workers     P:{Q}:g:G:workers     zset: worker id -> when its entry expires (ms)
  KEYS[5] worker      P:{Q}:g:G:worker:<id> string: this worker's description (JSON), expiring with it
                                          (for a flush without heartbeat: the never-written P:{Q}:g:G:worker:)

  ARGV[1] ringMinutes  slots of the completed/dead ring (minutes kept)
  ARGV[2] histMinutes  slots of the histogram ring
  ARGV[3] completed    jobs completed since the last flush
  ARGV[4] retried      failed attempts that will be retried
  ARGV[5] dead         jobs failed for good (dead-lettered)
  ARGV[6] stalled      expired leases reclaimed
  ARGV[7] limitedMs    ms the worker was held by the group's rate limit
  ARGV[8] waitSum      sum of the wait times recorded (ms)
  ARGV[9] procSum      sum of the processing times recorded (ms)
  ARGV[10] workerId    the worker's id; '' for no heartbeat (another partition's flush)
  ARGV[11] info        the worker's description (JSON object); the script adds heartbeat, and
                       started unless the worker passes it (the reply of its first heartbeat)
  ARGV[12] ttlMs       how long the entry lives without a heartbeat (ms)
  ARGV[13] leaving     '1': the worker closes, its entry is removed
  ARGV[14] reapMax     most expired entries removed per call; 0: this heartbeat neither reaps
                       nor looks at the registry's TTL (the worker does both every few beats,
                       so that an idle worker's beat stays a few commands)
  ARGV[15..] buckets   pairs: the wait histogram's count and the processing histogram's count of one bucket

  Returns Redis' time (ms).
]]
-- @include redisTime
local metricsKey, minutesKey, mhistKey, workersKey, workerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ringMinutes, histMinutes = tonumber(ARGV[1]), tonumber(ARGV[2])
local completed, retried, dead, stalled = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local limitedMs, waitSum, procSum = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local workerId, info, ttlMs, leaving, reapMax = ARGV[10], ARGV[11], tonumber(ARGV[12]), ARGV[13] == '1', tonumber(ARGV[14])

-- reads first (invariant 11 (docs/invariants.md))
local now = redisTime()
local minute = math.floor(now / 60000)
local waitCounts, procCounts, histAny = {}, {}, false
for i = 15, #ARGV, 2 do
  local w, p = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  waitCounts[#waitCounts + 1], procCounts[#procCounts + 1] = w, p
  if w > 0 or p > 0 then histAny = true end
end
local buckets = #waitCounts
local slot = minute % ringMinutes
-- (each read only when its write will come: an idle worker's beat is SET and ZADD)
local stamp, histStamp
if completed > 0 or dead > 0 then stamp = redis.call('BITFIELD_RO', minutesKey, 'GET', 'u32', '#' .. (slot * 3))[1] end
local histWidth = 1 + 2 * buckets
local histSlot = minute % histMinutes
if histAny then histStamp = redis.call('BITFIELD_RO', mhistKey, 'GET', 'u32', '#' .. (histSlot * histWidth))[1] end
local entry = workerId ~= '' and not leaving and cjson.decode(info)
local started = entry and tonumber(entry.started)
if entry and not started then
  local old = redis.call('GET', workerKey)
  started = old and tonumber(cjson.decode(old).started) or now
end
-- entries of workers that missed their heartbeats (bounded: reapMax per call); their
-- descriptions expire by themselves
local expired, workersTtl = {}, nil
if reapMax > 0 then
  expired = redis.call('ZRANGE', workersKey, '-inf', '(' .. now, 'BYSCORE', 'LIMIT', 0, reapMax)
  workersTtl = redis.call('PTTL', workersKey)
end

-- totals: monotonic i64 counters at fixed places: completed, retried, dead, stalled,
-- rate-limited ms, wait sum, processing sum, then the wait buckets and the processing buckets
local totals = { completed, retried, dead, stalled, limitedMs, waitSum, procSum }
for b = 1, buckets do totals[7 + b], totals[7 + buckets + b] = waitCounts[b], procCounts[b] end
local ops = {}
for f = 1, #totals do
  if totals[f] > 0 then
    ops[#ops + 1], ops[#ops + 2], ops[#ops + 3], ops[#ops + 4] = 'INCRBY', 'i64', '#' .. (f - 1), totals[f]
  end
end
if #ops > 0 then redis.call('BITFIELD', metricsKey, unpack(ops)) end

-- the minute's slot of each ring: added to while it holds this minute, reset when it holds an older one
if completed > 0 or dead > 0 then
  local op = stamp == minute and 'INCRBY' or 'SET'
  local at = slot * 3
  redis.call('BITFIELD', minutesKey, 'OVERFLOW', 'SAT', 'SET', 'u32', '#' .. at, minute,
    op, 'u32', '#' .. (at + 1), completed, op, 'u32', '#' .. (at + 2), dead)
  -- a ring nobody wrote for its whole length holds only stale slots: it may go
  redis.call('PEXPIRE', minutesKey, (ringMinutes + 1) * 60000)
end
if histAny then
  local op = histStamp == minute and 'INCRBY' or 'SET'
  local at = histSlot * histWidth
  local args = { 'OVERFLOW', 'SAT', 'SET', 'u32', '#' .. at, minute }
  for b = 1, buckets do
    args[#args + 1], args[#args + 2], args[#args + 3], args[#args + 4] = op, 'u32', '#' .. (at + b), waitCounts[b]
    args[#args + 1], args[#args + 2], args[#args + 3], args[#args + 4] = op, 'u32', '#' .. (at + buckets + b), procCounts[b]
  end
  redis.call('BITFIELD', mhistKey, unpack(args))
  redis.call('PEXPIRE', mhistKey, (histMinutes + 1) * 60000)
end

-- the worker registry: this worker's heartbeat, and the expired entries of others removed
if workerId ~= '' then
  if leaving then
    redis.call('ZREM', workersKey, workerId)
    redis.call('DEL', workerKey)
  else
    entry.started, entry.heartbeat = started, now
    redis.call('SET', workerKey, cjson.encode(entry), 'PX', ttlMs)
    redis.call('ZADD', workersKey, now + ttlMs, workerId)
    -- the set expires once no worker has beaten for a while (never shortened by a faster
    -- worker); looked at every few beats, so it is given room for those
    if workersTtl and workersTtl < 2 * ttlMs then redis.call('PEXPIRE', workersKey, 3 * ttlMs) end
  end
end
if #expired > 0 then redis.call('ZREM', workersKey, unpack(expired)) end
return now
