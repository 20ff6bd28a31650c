-- @include keys
-- @include streamIds
-- @include records
-- @include jobData
-- A job waiting in the queue's stream — a plain job's own entry ('n' first: the entry carries the
-- job), or the announcement of a job with a published record ('j' first) — that some groups have
-- not read yet. An entry cannot be rewritten, so a change to such a job (remove for one group,
-- a new priority, new data) takes it out of the stream: each group that has not read it gets,
-- now, the record its lease would have made of the entry, and a place of its own.

-- streamEntryOf(base, streamKey, id): the job's entry id and entry ({ id, fields }) when it is
-- in the stream; false when it is not (its id names no entry, or the entry is another job's).
local function streamEntryOf(base, streamKey, id)
  local entryId = id
  if not string.match(id, '^%d+%-%d+$') then entryId = redis.pcall('HGET', Key.job(base, id), 'se') end
  if type(entryId) ~= 'string' then return false end
  local entry = redis.call('XRANGE', streamKey, entryId, entryId)[1]
  if not entry then return false end
  local f = entry[2]
  if not ((f[1] == 'n' and entryId == id) or (f[1] == 'j' and f[2] == id)) then return false end
  return entryId, entry
end

-- unreadBy(streamKey, entryId): the groups that have not read the entry yet, and how many groups
-- there are (none yet: the default group, created from the start of the stream by its first lease)
local function unreadBy(streamKey, entryId)
  local cursors = groupCursors(streamKey)
  if #cursors == 0 then return { 'default' }, 1 end
  local unread = {}
  for _, c in ipairs(cursors) do
    if idBefore(c.last, entryId) then unread[#unread + 1] = c.name end
  end
  return unread, #cursors
end

-- unreadAmong(streamKey, entryId, groups): those of the queue's groups that have not read the
-- entry: a group whose cursor is before it, or that has no cursor yet (its first lease makes it,
-- from the start of the stream).
local function unreadAmong(streamKey, entryId, groups)
  local cursorOf = {}
  for _, c in ipairs(groupCursors(streamKey)) do cursorOf[c.name] = c.last end
  local unread = {}
  for _, name in ipairs(groups) do
    local last = cursorOf[name]
    if not last or idBefore(last, entryId) then unread[#unread + 1] = name end
  end
  return unread
end

-- entryRecord(base, id, entry): the record a group that has not read the entry would make from
-- it at its lease (see leaseJobs): a plain job's from the entry, else the copy the entry carries
-- or the published record's fields. A read: call it before writing.
local function entryRecord(base, id, entry)
  local f = entry[2]
  if f[1] == 'n' then
    local record = { 'n', f[2], 'o', f[5] == 'o' and f[6] or '{}', 'ts', string.match(id, '^(%d+)'), 's', 'waiting', 'a', '0', 'dl', '0' }
    return dataFields(record, f[4] or '')
  end
  local c
  if f[3] == 'n' and f[6] then
    c = { f[4], f[6], f[8] or '{}', f[10] or '0', f[12] or '' }
  else
    c = redis.call('HMGET', Key.job(base, id), 'n', 'd', 'o', 'ts', 'sb')
    c[2] = readData(Key.job(base, id), c[2])
  end
  local record = { 's', 'waiting', 'a', 0, 'dl', 0, 'n', c[1] or '', 'o', c[3] or '{}', 'ts', c[4] or '0' }
  if c[5] and c[5] ~= '' then record[#record + 1] = 'sb'; record[#record + 1] = c[5] end
  return dataFields(record, c[2] or '')
end

-- takeRecord(base, id, group, entry, record): group, which had not read the entry, gets its own
-- record of the job now (the default group's record of a job with a published record is that
-- record, which it keeps); returns the record's key. The caller places the id.
local function takeRecord(base, id, group, entry, record)
  if entry[2][1] == 'n' or group ~= 'default' then
    redis.call('HSET', Key.job(Key.records(base, group), id), unpack(record))
    if entry[2][1] == 'j' then releasePublished(base, id) end
  else
    redis.call('HDEL', Key.job(base, id), 'se') -- its entry is gone (or no longer its way in)
  end
  return Key.job(Key.records(base, group), id)
end
