--[[
  reserve-starts: a partitioned queue's group rate limit, held for the whole queue
  (docs/partitions.md). The limit ('limit:<group>' in the queue's own meta) and its sliding
  window of starts live in the queue's own slot; before a worker leases from one partition it
  reserves here the starts it may make, as lease tokens nonce.1 .. nonce.n of that lease call,
  and hands back the tokens it did not use (ARGV[4..]). In every window of limitMs at most
  limitMax jobs of the whole queue start, however many partitions and workers there are; a
  worker that dies between reserving and leasing only wastes its reservation for one window.

  FLAGS allow-oom   (a full Redis must drain: a reservation is a lease token, trimmed with its window)

  KEYS[1] meta       P:{Q}:meta
  KEYS[2] limiter    P:{Q}:g:G:limiter

  ARGV[1] group      group name
  ARGV[2] nonce      the lease call's nonce ('' to only hand back)
  ARGV[3] want       how many starts it asks for
  ARGV[4..] unused   one per token: tokens reserved earlier and not used, handed back

  Returns { now, granted, waitMs, limited }: the starts granted (all of `want` when the group
  has no limit), the ms until the next start is allowed when fewer than `want` were (-1
  otherwise), and 1 when the group has a limit.
]]
-- @include redisTime
-- @include slidingWindow
-- @include leaseToken
local metaKey, limiterKey = KEYS[1], KEYS[2]
local group, nonce, want = ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = redisTime()
local limitMax, limitMs = string.match(redis.call('HGET', metaKey, 'limit:' .. group) or '', '^(%d+):(%d+)$')
limitMax, limitMs = tonumber(limitMax) or 0, tonumber(limitMs) or 0
local unused = {}
for i = 4, #ARGV, 1 do unused[#unused + 1] = ARGV[i] end
if #unused > 0 then redis.call('ZREM', limiterKey, unpack(unused)) end
if limitMax <= 0 then return { now, want, -1, 0 } end
local room = windowRoom(limiterKey, limitMax, limitMs, now)
local granted = math.min(want, room)
local tokens = {}
for i = 1, granted do tokens[i] = leaseToken(nonce, i) end
windowRecord(limiterKey, limitMs, now, tokens)
-- fewer than asked: the window is full; the next start is allowed when its oldest leaves it
if granted < want then
  local oldest = tonumber(redis.call('ZRANGE', limiterKey, 0, 0, 'WITHSCORES')[2]) or now
  return { now, granted, math.max(1, oldest + limitMs - now), 1 }
end
return { now, granted, -1, 1 }
