-- A job's data in its record. Redis keeps a hash compact (a listpack, one allocation) only while
-- every value is at most 64 bytes (hash-max-listpack-value, whose default sluice does not ask
-- users to change); past that it becomes a hashtable, about twice the memory of a kept completed
-- job. So data longer than DATA_PIECE bytes, up to DATA_PIECES_MAX pieces, is written spread:
-- field d holds "#<n>" (no JSON text starts with #) and d1..dn the pieces, each cut at a UTF-8
-- character boundary (clients read each field as text). Longer data is written whole.
-- Whoever reads d through readData gets the data back whole; whoever writes it through
-- dataFields or writeData; src/job/job-data.ts joins it for the TypeScript readers.
local DATA_PIECE = 64
local DATA_PIECES_MAX = 64
-- spread only up to this length: a piece is at least 61 bytes (cut back at most 3), so at most
-- 63 pieces, and a record stays under the 128 fields of hash-max-listpack-entries
local DATA_SPREAD_MAX = 60 * DATA_PIECE

-- dataFields(record, data): appends d and the data (whole or spread) to a flat HSET list
local function dataFields(record, data)
  local length = #data
  if length <= DATA_PIECE or length > DATA_SPREAD_MAX then
    record[#record + 1] = 'd'
    record[#record + 1] = data
    return record
  end
  local at, n, marker = 1, 0, #record + 2
  record[#record + 1] = 'd'
  record[#record + 1] = false -- the marker, once the pieces are counted
  while at <= length do
    local last = at + DATA_PIECE - 1
    if last < length then
      -- a piece ends before a continuation byte (10xxxxxx): no character is cut in two
      while last > at and string.byte(data, last + 1) >= 128 and string.byte(data, last + 1) < 192 do last = last - 1 end
    end
    n = n + 1
    record[#record + 1] = 'd' .. n
    record[#record + 1] = string.sub(data, at, last)
    at = last + 1
  end
  record[marker] = '#' .. n
  return record
end

-- removedOnCompletion(opts): the options (JSON from JSON.stringify, no spaces) delete the job the
-- moment it completes (removeOnComplete true or 0): its record lives only while it runs, so
-- spreading its data would cost work (about 7% of Redis CPU per job at c=100) and save nothing
local function removedOnCompletion(opts)
  return string.find(opts, '"removeOnComplete":true', 1, true) ~= nil or string.find(opts, '"removeOnComplete":0[,}]') ~= nil
end

-- pieceNames(marker): the fields d1..dn a marker "#n" names (none for anything else)
local function pieceNames(marker)
  local names = {}
  if not marker or string.byte(marker, 1) ~= 35 then return names end
  for k = 1, math.min(tonumber(string.sub(marker, 2)) or 0, DATA_PIECES_MAX) do names[#names + 1] = 'd' .. k end
  return names
end

-- readData(recordKey, value): the data of the record whose d field reads value (nil: none). A
-- marker whose pieces are not all there is returned as it is: not JSON, so the job is
-- dead-lettered as malformed rather than run with part of its data.
local function readData(recordKey, value)
  local names = pieceNames(value)
  if #names == 0 then return value end
  local pieces = redis.call('HMGET', recordKey, unpack(names))
  for k = 1, #pieces do
    if not pieces[k] then return value end
  end
  return table.concat(pieces)
end

-- writeData(recordKey, data): replaces the record's data, dropping the pieces of what it held
local function writeData(recordKey, data)
  local names = pieceNames(redis.call('HGET', recordKey, 'd'))
  if #names > 0 then redis.call('HDEL', recordKey, unpack(names)) end
  local record = {}
  dataFields(record, data)
  redis.call('HSET', recordKey, unpack(record))
end
