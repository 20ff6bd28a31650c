-- @include dedup
-- deleteJobs(rb, ids): delete a group's records (and logs) of the given jobs (rb: the group's
-- record base, see records.lua), in chunks so that no single DEL grows unbounded.
local DELETE_CHUNK = 500
local function deleteJobs(rb, ids)
  local chunk = {}
  for i = 1, #ids do
    chunk[#chunk + 1] = rb .. 'job:' .. ids[i]
    chunk[#chunk + 1] = rb .. 'logs:' .. ids[i]
    if #chunk >= DELETE_CHUNK then
      redis.call('DEL', unpack(chunk))
      chunk = {}
    end
  end
  if #chunk > 0 then redis.call('DEL', unpack(chunk)) end
end

-- deleteRecords(base, rb, ids): deleteJobs for jobs removed before they finished (drain,
-- removeGroup, obliterate): a published record (rb == base) frees its deduplication id first.
-- Other groups' records hold none (see placeWaiting).
local function deleteRecords(base, rb, ids)
  if rb == base then
    for i = 1, #ids do releaseDedup(base, base .. 'job:' .. ids[i], ids[i]) end
  end
  deleteJobs(rb, ids)
end
