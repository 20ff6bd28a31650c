-- @include keys
-- @include redisTime
-- @include leaseToken
-- Leases without a record (docs/job-lifecycle.md, "Leased without a record"). The default group
-- may lease a plain job that is deleted when it completes (removeOnComplete true or 0) without
-- writing its record: the stream entry that carries the job whole stays pending in the group's
-- PEL (the read was not NOACK), and the stream is not trimmed past it (trimStream.lua). The
-- active set holds its lease as for any job. Its ack is one XACK (complete.lua), where a
-- recorded job costs a record written at the lease, read at the ack and deleted.
-- Anything else done to such a job (a renewal, a failure, progress, a log line, a hand-back, a
-- cancel request, new data, a lease that ran out) first gives it its record (recordLease), and
-- acknowledges the entry in the same step. So "pending in the default group" and "leased
-- without a record" are one and the same, and every other script finds an ordinary record.
-- Such a job has had one lease only, so the token a caller presents for it is taken as the
-- holder's: a stale holder exists only once that lease ran out, which gave the job its record
-- (tk emptied). The one gap: a lease call whose reply was lost cannot hand such jobs back by its
-- nonce (release.lua finds tokens in records); they come back when their lease runs out.
-- (Scripts that take the queue's base derive its stream key from it, as they derive job keys.)

local LEASE_GROUP = 'default'

-- isEntryId(id): the id can name a stream entry (a plain job's id is its entry's)
local function isEntryId(id)
  return string.match(id, '^%d+%-%d+$') ~= nil
end

-- ackLeasedEntries(streamKey, defaultGroup, acks, from, stride): the acks (ARGV from `from`, `stride`
-- items each: id, token, value, keepCount, ...) of jobs deleted on completion in the default group
-- may be of jobs leased without a record: their entries are acknowledged in one XACK. Returns the
-- set of those ids, with all = true when every one was pending (each is then leased without a
-- record, its lease current), some = true when only some were (complete.lua tells which).
local function ackLeasedEntries(streamKey, defaultGroup, acks, from, stride)
  local ids = {}
  if not defaultGroup then return ids end
  local xack = { 'XACK', streamKey, LEASE_GROUP }
  for i = from, #acks, stride do
    if acks[i + 3] == '0' and isEntryId(acks[i]) then
      xack[#xack + 1] = acks[i]
      ids[acks[i]] = true
    end
  end
  if #xack == 3 then return ids end
  local acked = redis.pcall(unpack(xack))
  if type(acked) ~= 'number' or acked == 0 then return {} end
  ids.all = acked == #xack - 3
  ids.some = not ids.all
  return ids
end

-- recordLease(streamKey, jobKey, id, token): a job leased without a record gets it now, state
-- active, with `token` as its lease token: the holder's own, or '*' when the caller is not the
-- holder (cancel-job, update-data; see leaseToken.lua); its entry is acknowledged. Returns
-- whether it did: false for a job of another group (jobKey is not the default group's record),
-- with a record, or not leased this way. The caller knows the record does not exist.
local function recordLease(streamKey, jobKey, id, token)
  local base = string.sub(streamKey, 1, -(#Key.stream + 1))
  if not isEntryId(id) or jobKey ~= Key.job(base, id) then return false end
  local pending = redis.pcall('XPENDING', streamKey, LEASE_GROUP, id, id, 1)
  if type(pending) ~= 'table' or pending.err or not pending[1] then return false end
  local entry = redis.call('XRANGE', streamKey, id, id)[1]
  redis.call('XACK', streamKey, LEASE_GROUP, id)
  -- (a pending entry is never trimmed; one deleted by hand leaves nothing to record)
  local f = entry and entry[2]
  if not f or f[1] ~= 'n' or f[3] ~= 'd' or not f[4] then return false end
  local opts = f[5] == 'o' and f[6] or '{}'
  -- leased when delivered: Redis time less the entry's idle time
  local leasedAt = redisTime() - (tonumber(pending[1][3]) or 0)
  redis.call('HSET', jobKey, 'n', f[2], 'd', f[4], 'o', opts, 'ts', string.match(id, '^(%d+)'), 's', 'active',
    'a', '0', 'dl', tostring(pending[1][4] or 1), 'tk', token, 'po', string.format('%d', leasedAt))
  return true
end

-- firstLeasedEntry(streamKey): the oldest entry leased without a record (nil: none); the
-- stream is never trimmed past it
local function firstLeasedEntry(streamKey)
  local pending = redis.pcall('XPENDING', streamKey, LEASE_GROUP, '-', '+', 1)
  if type(pending) ~= 'table' or pending.err or not pending[1] then return nil end
  return pending[1][1]
end

-- holdsLease(streamKey, jobKey, id, token): the caller's token is the job's current one (one
-- HGET of its record); a job leased without a record gets its record now, with this token (the
-- caller is its holder)
local function holdsLease(streamKey, jobKey, id, token)
  if token == '' then return false end
  local current = redis.call('HGET', jobKey, 'tk')
  if current then return isCurrentToken(current, token) end
  return recordLease(streamKey, jobKey, id, token)
end
