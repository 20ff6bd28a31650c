-- @include keys
-- deleteJobs(rb, ids): delete a group's records (and logs) of the given jobs (rb: the group's
-- record base, see records.lua), in chunks so that no single DEL grows unbounded.
local DELETE_CHUNK = 500

-- deleteKeys(keys): DEL in chunks
local function deleteKeys(keys)
  for i = 1, #keys, DELETE_CHUNK do redis.call('DEL', unpack(keys, i, math.min(i + DELETE_CHUNK - 1, #keys))) end
end

local function deleteJobs(rb, ids)
  local chunk = {}
  for i = 1, #ids do
    chunk[#chunk + 1] = Key.job(rb, ids[i])
    chunk[#chunk + 1] = Key.logs(rb, ids[i])
    chunk[#chunk + 1] = Key.kids(rb, ids[i]) -- a flow parent's children (flowParents.lua)
    if #chunk >= DELETE_CHUNK then
      redis.call('DEL', unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then redis.call('DEL', unpack(chunk)) end
end

-- deleteRecords(base, rb, ids): deleteJobs for jobs removed before they finished (drain,
-- removeGroup, obliterate): a published record (rb == base) frees its deduplication id first
-- (as releaseDedup does, the ids' keys and index entries deleted together). Other groups'
-- records hold none (see placeWaiting).
local function deleteRecords(base, rb, ids)
  if rb == base then
    local keys, freed = {}, {}
    for i = 1, #ids do
      local dedupId = redis.pcall('HGET', Key.job(base, ids[i]), 'dd')
      if type(dedupId) == 'string' then
        local dedupKey = Key.dedup(base, dedupId)
        if redis.call('GET', dedupKey) == ids[i] and redis.call('PTTL', dedupKey) == -1 then
          keys[#keys + 1] = dedupKey
          freed[#freed + 1] = dedupId
        end
      end
    end
    if #keys > 0 then
      deleteKeys(keys)
      for i = 1, #freed, DELETE_CHUNK do
        redis.call('ZREM', base .. Key.dedupIndex, unpack(freed, i, math.min(i + DELETE_CHUNK - 1, #freed)))
      end
    end
  end
  deleteJobs(rb, ids)
end
